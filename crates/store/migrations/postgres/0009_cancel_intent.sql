-- 0009_cancel_intent (postgres): a cancellation written before Shiprocket is called (JSON: reason,
-- actor, requested_at, expected_version); cleared when the order is cancelled or Shiprocket refuses.
ALTER TABLE orders ADD COLUMN cancel_intent TEXT;
CREATE INDEX orders_cancel_intent ON orders (id) WHERE cancel_intent IS NOT NULL;
