//! Orderly's domain: pure types and rules (money, contacts, orders, the status machine, event intake).
//!
//! Raw input becomes these types once, at the edge ([`intake::parse_order_placed`]); after that no
//! `String` means a phone number. Nothing here does I/O.

pub mod contact;
pub mod courier;
pub mod feature;
pub mod intake;
pub mod money;
pub mod order;
pub mod pincodes;
pub mod shipment;
pub mod status;
pub mod tracking;

pub use contact::{Email, Phone, Pincode};
pub use money::Money;
pub use status::{Action, OrderFlag, OrderStatus, TRANSITIONS, TransitionError};
