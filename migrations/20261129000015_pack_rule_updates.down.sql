ALTER TABLE rule_versions DROP COLUMN IF EXISTS by_pack;
