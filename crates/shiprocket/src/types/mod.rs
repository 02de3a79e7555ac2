//! Request and response types, with tolerant decoding of Shiprocket's loose JSON.

pub mod account;
pub mod courier;
pub mod orders;
pub mod tracking;
