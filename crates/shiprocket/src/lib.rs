//! Typed, fault-tolerant client for the Shiprocket external REST API.
//!
//! * [`Client`] — typed async calls with a cached JWT (refreshed before `exp`, one re-login on 401),
//!   a shared token-bucket rate limiter, per-attempt timeouts, retries with exponential back-off and
//!   full jitter (retryable errors only, `Retry-After` honoured, bounded by attempts and a time
//!   budget), a circuit breaker, and a per-attempt observer hook for metrics.
//! * Tolerant decoding ([`flex`], [`dates`]): string-or-number, bool-or-0/1, `""` as null, every
//!   documented date format in IST; two status enums ([`ShipmentStatus`], [`OrderStatus`]).
//! * [`Error`] with [`ErrorKind`], [`Error::is_retryable`] and [`Error::ops_message`].
//!
//! The crate never reads the environment: the server builds a [`ClientConfig`].

pub mod api;
mod auth;
pub mod breaker;
mod classify;
pub mod client;
pub mod config;
pub mod dates;
pub mod error;
pub mod flex;
mod limiter;
mod ops;
pub mod status;
mod token;
pub mod types;

pub use breaker::BreakerState;
pub use client::Client;
pub use config::{CallOptions, CallRecord, ClientConfig, DEFAULT_BASE_URL, Observer, Secret};
pub use error::{Error, ErrorKind, FieldError};
pub use status::{OrderStatus, ShipmentStatus};
pub use types::account::{PickupLocation, ShipmentDetails};
pub use types::courier::{
    AwbAssignment, BlockedCourier, CourierQuote, PickupResponse, Serviceability,
    ServiceabilityQuery,
};
pub use types::orders::{
    CreateOrderRequest, CreateOrderResponse, OrderItem, PaymentMethod, UpdateAddressRequest,
};
pub use types::tracking::{
    ShipmentTrack, TrackActivity, Tracking, TrackingWebhook, WebhookScan, parse_webhook,
};
