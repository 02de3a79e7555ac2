-- 0008_access (postgres): API key expiry and last use (written at most once a minute per key).
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
