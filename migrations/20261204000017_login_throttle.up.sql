-- Sign-in throttling state, counted before a password is verified (so that
-- parallel guesses cannot all pass the check), kept out of the append-only
-- audit log: refused attempts are summarised there once per window.
--   address          failures from one client address (IPv6 by /64)
--   account          failures for one username from anywhere (a growing delay)
--   account_address  failures for one username from one address
--   all              every failure (beyond a budget, failures are counted,
--                    not recorded one by one)
CREATE TABLE login_throttle (
    scope        text NOT NULL CHECK (scope IN ('address', 'account', 'account_address', 'all')),
    key          text NOT NULL CHECK (length(key) <= 200),
    window_start timestamptz NOT NULL,
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    refused      integer NOT NULL DEFAULT 0 CHECK (refused >= 0),
    last_failure timestamptz,
    PRIMARY KEY (scope, key)
);

-- Addresses an account signed in from: the per-account delay spares them,
-- so an attacker guessing from elsewhere cannot keep the owner out.
CREATE TABLE login_known_addresses (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address   text NOT NULL CHECK (length(address) <= 64),
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (user_id, address)
);

-- Throttling no longer counts audit rows.
DROP INDEX audit_log_login_failures_target;
DROP INDEX audit_log_login_failures_ip;
