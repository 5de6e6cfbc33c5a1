DROP FUNCTION vigil_grant_app_role(name);
ALTER FUNCTION audit_log_chain() RESET search_path;
ALTER FUNCTION audit_log_canonical(audit_log) RESET search_path;
ALTER FUNCTION audit_log_refuse_change() RESET search_path;
DROP TABLE audit_checkpoints;
