//! Background workers: the shipment saga, outbox delivery, tracking reconciliation, NATS intake.
