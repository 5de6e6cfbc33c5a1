CREATE INDEX audit_log_login_failures_target
    ON audit_log (target, ts) WHERE action = 'auth.login' AND outcome = 'failure';
CREATE INDEX audit_log_login_failures_ip
    ON audit_log (client_ip, ts) WHERE action = 'auth.login' AND outcome = 'failure';
DROP TABLE login_known_addresses;
DROP TABLE login_throttle;
