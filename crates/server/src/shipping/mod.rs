//! The shipment saga, in one place: the Shiprocket client as Orderly holds it ([`Shiprocket`]),
//! who drives an attempt ([`drive`], the lease), the step loop ([`saga`]), one file per step, the
//! request bodies ([`requests`]) and how a step ends when it does not go on ([`outcome`]).
//!
//! Dependencies run one way: `api`/`web` → `actions` → `shipping` → `store`. Nothing here imports
//! `actions`, `api` or `web`; what several places share when an order changes lives in
//! [`crate::changes`]. `workers::shipments` only polls for due attempts and calls [`drive`].

mod assign_awb;
mod choose_courier;
mod client;
mod create_order;
mod documents;
mod drive;
mod faults;
mod outcome;
mod pickup;
pub mod requests;
pub mod saga;

pub use client::Shiprocket;
pub use drive::{HEARTBEAT, LEASE, drive, drive_until};
pub use faults::{FaultPoint, Faults};
pub use saga::{STEPS, StopAt};
