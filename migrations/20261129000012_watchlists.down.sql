DROP TRIGGER IF EXISTS watchlist_entries_changed ON watchlist_entries;
DROP FUNCTION IF EXISTS vigil_notify_watchlist_change();
DROP TABLE IF EXISTS watchlist_entries;
DROP TABLE IF EXISTS watchlists;
