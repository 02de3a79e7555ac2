//! NATS JetStream: publishes every outbox event to `<prefix>.<event>` (prefix `orders`, e.g.
//! `orders.shipped`) with the event id as `Nats-Msg-Id`, so JetStream drops duplicates; and consumes
//! `OrderPlaced` from `<prefix>.placed` through a durable consumer, with the same validation and
//! exactly-once storage as HTTP intake, acknowledging only after the commit.
//!
//! Every `OrderPlaced` must carry a valid `Orderly-Signature` header (see [`super::nats_auth`], which
//! also holds the connection's credentials); unsigned or badly signed messages are dropped.
//!
//! Off unless `ORDERLY_NATS_URL` is set. The stream (`ORDERLY_NATS_STREAM`, default `ORDERS`, subjects
//! `<prefix>.>`) is created when missing. One worker at a time publishes (a lease on the `nats`
//! delivery cursor); every worker may consume, JetStream hands each message to one of them.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind, consumer, message::PublishMessage, stream};
use futures_util::StreamExt;
use orderly_domain::intake::{IntakeError, parse_order_placed};
use orderly_domain::pincodes;
use orderly_store::delivery;
use orderly_store::orders::{self, IntakeOutcome, PlacedMeta};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::nats_auth;
use crate::app::AppState;
use crate::config::Settings;

/// The durable consumer's name.
pub const DURABLE: &str = "orderly-intake";
/// The delivery cursor that tracks publishing.
pub const CURSOR: &str = "nats";
const LEASE: time::Duration = time::Duration::seconds(30);
const BATCH: i64 = 200;
/// Deliveries of one message after which a database error is no longer retried (about 45 min).
const MAX_DELIVERIES: i64 = 50;

/// The subject an event type is published on: `OrderShipped` → `<prefix>.shipped`,
/// `OrderStatusChanged` → `<prefix>.status_changed`, `FeatureRolledBack` → `<prefix>.feature_rolled_back`.
pub fn subject(prefix: &str, event_type: &str) -> String {
    let name = event_type.strip_prefix("Order").unwrap_or(event_type);
    let mut snake = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    format!("{prefix}.{snake}")
}

/// Connects to JetStream with the configured credentials (refusing an anonymous connection unless
/// allowed) and makes sure the stream exists.
pub async fn connect(settings: &Settings) -> anyhow::Result<jetstream::Context> {
    let client = nats_auth::connect(settings).await?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: settings.nats_stream.clone(),
        subjects: vec![format!("{}.>", settings.nats_subject_prefix)],
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .context("Failed to create the NATS stream")?;
    Ok(js)
}

/// Starts the NATS worker (publisher and intake consumer); returns at once when NATS is not configured.
pub fn start(state: AppState, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if state.settings.nats_url.is_none() {
            return;
        }
        if let Err(e) = state.settings.nats_auth.check() {
            tracing::error!(error = %e, "NATS worker not started");
            return;
        }
        let mut stop = shutdown.clone();
        let js = loop {
            match connect(&state.settings).await {
                Ok(js) => break js,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "NATS unavailable; retrying in 5 s")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = stop.changed() => return,
            }
        };
        let publisher = tokio::spawn(publish_loop(state.clone(), js.clone(), shutdown.clone()));
        consume_loop(state, js, shutdown).await;
        let _ = publisher.await;
    })
}

async fn publish_loop(
    state: AppState,
    js: jetstream::Context,
    mut shutdown: watch::Receiver<bool>,
) {
    let owner = format!("nats-{}", uuid::Uuid::new_v4().simple());
    let mut changes = state.live.outbox_changes();
    let mut orders = state.live.subscribe();
    loop {
        if let Err(e) = publish_once(&state, &js, &owner).await {
            tracing::warn!(error = %format!("{e:#}"), "NATS publishing pass failed");
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = orders.recv() => {}
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            let _ = delivery::release_cursor(&state.store, CURSOR, &owner).await;
            return;
        }
    }
}

/// Publishes every pending outbox event (while `owner` holds the `nats` cursor); returns how many
/// JetStream acknowledged. The cursor only moves past acknowledged events.
pub async fn publish_once(
    state: &AppState,
    js: &jetstream::Context,
    owner: &str,
) -> anyhow::Result<usize> {
    let store = &state.store;
    let prefix = &state.settings.nats_subject_prefix;
    let now = state.clock.now();
    let Some(mut cursor) =
        delivery::claim_cursor(store, CURSOR, owner, now, now + LEASE, 0).await?
    else {
        return Ok(0);
    };
    let mut published = 0;
    loop {
        let events = delivery::pending(store, cursor, BATCH).await?;
        if events.is_empty() {
            break;
        }
        let mut acks = Vec::with_capacity(events.len());
        for e in &events {
            let message = PublishMessage::build()
                .payload(bytes::Bytes::from(e.payload.clone()))
                .message_id(&e.event_id)
                .header("Orderly-Event-Type", e.event_type.as_str());
            acks.push((
                e.seq,
                js.send_publish(subject(prefix, &e.event_type), message)
                    .await,
            ));
        }
        let mut last = None;
        let mut failure = None;
        for (seq, ack) in acks {
            match ack {
                Ok(fut) => match fut.await {
                    Ok(_) => last = Some(seq),
                    Err(e) => failure = Some(e.to_string()),
                },
                Err(e) => failure = Some(e.to_string()),
            }
            if failure.is_some() {
                break;
            }
        }
        if let Some(seq) = last {
            delivery::advance_cursor(store, CURSOR, owner, seq, state.clock.now()).await?;
            let n = events.iter().take_while(|e| e.seq <= seq).count();
            published += n;
            state
                .metrics
                .inc("orderly_nats_published_total", &[], n as f64);
            cursor = seq;
        }
        if let Some(why) = failure {
            state
                .metrics
                .inc("orderly_nats_publish_failures_total", &[], 1.0);
            anyhow::bail!("JetStream refused a publish: {why}");
        }
        if (events.len() as i64) < BATCH {
            break;
        }
    }
    Ok(published)
}

async fn consume_loop(
    state: AppState,
    js: jetstream::Context,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match consume(&state, &js, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "NATS intake stopped; restarting in 2 s")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Creates (or binds to) the durable `orderly-intake` consumer on `<prefix>.placed`.
pub async fn intake_consumer(
    js: &jetstream::Context,
    stream_name: &str,
    prefix: &str,
) -> anyhow::Result<consumer::PullConsumer> {
    let stream = js
        .get_stream(stream_name)
        .await
        .context("NATS stream missing")?;
    stream
        .get_or_create_consumer(
            DURABLE,
            consumer::pull::Config {
                durable_name: Some(DURABLE.to_string()),
                filter_subject: format!("{prefix}.placed"),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await
        .context("Failed to create the NATS intake consumer")
}

async fn consume(
    state: &AppState,
    js: &jetstream::Context,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let settings = &state.settings;
    let consumer =
        intake_consumer(js, &settings.nats_stream, &settings.nats_subject_prefix).await?;
    let mut messages = consumer.messages().await?;
    loop {
        let msg = tokio::select! {
            m = messages.next() => m,
            _ = shutdown.changed() => return Ok(()),
        };
        let Some(msg) = msg else {
            anyhow::bail!("the NATS message stream ended");
        };
        let msg = msg.map_err(|e| anyhow::anyhow!("NATS delivery error: {e}"))?;
        let (delivered, published) = msg
            .info()
            .map(|i| (i.delivered, i.published))
            .unwrap_or((1, state.clock.now()));
        let header = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(nats_auth::SIGNATURE_HEADER))
            .map(|v| v.as_str());
        let ack = match receive(state, header, &msg.payload, published).await {
            Ok(()) => AckKind::Ack,
            Err(e) if delivered >= MAX_DELIVERIES => {
                tracing::error!(error = %e, delivered, "NATS intake: giving up on a message the database keeps refusing");
                state
                    .metrics
                    .inc("orderly_nats_intake_total", &[("outcome", "gave_up")], 1.0);
                AckKind::Term
            }
            Err(e) => {
                tracing::warn!(error = %e, delivered, "NATS intake: database error; redelivering later");
                let wait =
                    Duration::from_secs(5 * u64::try_from(delivered.clamp(1, 12)).unwrap_or(12));
                AckKind::Nak(Some(wait))
            }
        };
        if let Err(e) = msg.ack_with(ack).await {
            tracing::warn!(error = %e, "NATS intake: acknowledgement failed");
        }
    }
}

/// Handles one `OrderPlaced` message exactly like HTTP intake: the `Orderly-Signature` header is
/// checked against the intake secrets (the window counted from `published`, when JetStream stored
/// it), then the event is validated and stored once. Unsigned, badly signed, invalid or conflicting
/// events are logged (no PII), counted and acknowledged; only a transient store error is returned
/// (the message is redelivered).
pub async fn receive(
    state: &AppState,
    signature: Option<&str>,
    payload: &[u8],
    published: time::OffsetDateTime,
) -> Result<(), orderly_store::StoreError> {
    if let Err(why) = nats_auth::verify(&state.settings, signature, payload, published) {
        let outcome = match why {
            crate::signature::SignatureError::Missing => "unsigned",
            _ => "bad_signature",
        };
        tracing::warn!(reason = %why, "NATS intake: OrderPlaced without a valid signature acknowledged and dropped");
        state
            .metrics
            .inc("orderly_nats_intake_total", &[("outcome", outcome)], 1.0);
        return Ok(());
    }
    intake(state, payload).await
}

/// Validates and stores one (already authenticated) `OrderPlaced`; see [`receive`].
async fn intake(state: &AppState, payload: &[u8]) -> Result<(), orderly_store::StoreError> {
    let count = |outcome: &str| {
        state
            .metrics
            .inc("orderly_nats_intake_total", &[("outcome", outcome)], 1.0);
    };
    let event = match parse_order_placed(payload) {
        Ok(e) => e,
        Err(IntakeError::Malformed(why)) => {
            tracing::warn!(reason = %why, "NATS intake: malformed OrderPlaced acknowledged and dropped");
            count("malformed");
            return Ok(());
        }
        Err(IntakeError::Invalid(fields)) => {
            let pointers: Vec<&str> = fields.iter().map(|f| f.pointer.as_str()).collect();
            tracing::warn!(fields = ?pointers, "NATS intake: invalid OrderPlaced acknowledged and dropped");
            count("invalid");
            return Ok(());
        }
    };
    let meta = PlacedMeta {
        event_id: &event.id,
        source: "nats",
        actor: "intake",
        received_at: state.clock.now(),
        address_suspect: pincodes::check_address(&event.order.shipping_address),
    };
    match orders::place(&state.store, &event.order, &meta).await {
        Ok(IntakeOutcome::Created(s)) => {
            tracing::info!(order = %s.order_number, "order placed (NATS)");
            state.live.publish(&s.order_number, "placed");
            count("created");
        }
        Ok(IntakeOutcome::Duplicate(_)) => count("duplicate"),
        Ok(IntakeOutcome::Conflict(s) | IntakeOutcome::EventIdReused(s)) => {
            tracing::warn!(order = %s.order_number, event = %event.id, "NATS intake: conflicting OrderPlaced acknowledged and dropped");
            count("conflict");
        }
        Err(e) if transient(&e) => return Err(e),
        Err(e) => {
            tracing::error!(error = %e, event = %event.id, "NATS intake: event could not be stored; dropped");
            count("error");
        }
    }
    Ok(())
}

/// Database errors are worth redelivering (an outage is likelier than a poison message, since the
/// event already passed validation); anything else is not.
fn transient(e: &orderly_store::StoreError) -> bool {
    matches!(e, orderly_store::StoreError::Db(_))
}
