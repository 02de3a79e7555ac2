-- 0006_shipment_waiting: attempts parked while Shiprocket is down ("waiting for Shiprocket": not
-- failed, resumed when a probe call succeeds), and the holder of an attempt's lease, so a
-- heartbeat renews only its own lease and a driver that lost it stops.
ALTER TABLE shipments ADD COLUMN waiting_since BIGINT;
ALTER TABLE shipments ADD COLUMN waiting_reason TEXT;
ALTER TABLE shipments ADD COLUMN lease_holder TEXT;
CREATE INDEX shipments_waiting ON shipments (waiting_since) WHERE waiting_since IS NOT NULL;
