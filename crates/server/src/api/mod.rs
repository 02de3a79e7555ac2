//! The JSON API: one file per endpoint group, one error type for the whole surface.

pub mod actions;
pub mod api_keys;
pub mod auth;
pub mod batches;
pub mod error;
pub mod events;
pub mod extract;
pub mod flags;
pub mod health;
pub mod intake;
pub mod metrics;
pub mod openapi;
pub mod orders;
pub mod tracking;
pub mod webhooks;
