DROP FUNCTION audit_log_canonical(audit_log);
DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse_change();
DROP FUNCTION audit_log_chain();
DROP SEQUENCE audit_log_seq;
