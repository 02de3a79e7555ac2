//! The JSON API: one file per endpoint group, one error type for the whole surface.

pub mod auth;
pub mod error;
pub mod health;
pub mod intake;
pub mod openapi;
pub mod orders;
