//! The `/v1/external` endpoint handlers, one file per endpoint group.

pub mod auth;
pub mod awb;
pub mod documents;
pub mod orders;
pub mod pickup;
pub mod pickups;
pub mod quote;
pub mod serviceability;
pub mod shipments;
pub mod track;
