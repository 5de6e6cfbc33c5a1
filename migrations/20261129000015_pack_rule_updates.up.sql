-- Which rule versions a built-in pack wrote. A pack rule whose current
-- version is the pack's own (no one edited it since) is brought up to date
-- when a newer Vigil ships a changed definition; one an admin edited,
-- disabled or deleted is left as they left it.
ALTER TABLE rule_versions ADD COLUMN by_pack boolean NOT NULL DEFAULT false;

UPDATE rule_versions v SET by_pack = true
  FROM rules r
 WHERE r.id = v.rule_id AND r.origin = 'pack' AND v.version = 1 AND v.change = 'create';
