DROP TRIGGER watchlist_entries_generation ON watchlist_entries;
DROP TRIGGER rules_generation ON rules;
DROP FUNCTION vigil_bump_detection_generation();
DROP TABLE detection_generation;
