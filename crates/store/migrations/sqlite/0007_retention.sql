-- 0007_retention: indexes the retention job deletes by (oldest rows first, without a full scan).
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_at);
CREATE INDEX login_attempts_by_at ON login_attempts (at);
CREATE INDEX webhook_deliveries_by_at ON webhook_deliveries (at);
