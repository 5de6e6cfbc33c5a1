-- A key may be created with an end: it authenticates nothing after it.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
