DROP TRIGGER IF EXISTS rules_changed ON rules;
DROP FUNCTION IF EXISTS vigil_notify_rule_change();
DROP TABLE IF EXISTS rule_versions;
DROP TABLE IF EXISTS rules;
