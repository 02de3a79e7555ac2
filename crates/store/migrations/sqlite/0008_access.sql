-- 0008_access (sqlite): API key expiry and last use (written at most once a minute per key).
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
