//! The merchant-facing order status machine; the allowed transitions are data ([`TRANSITIONS`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Arrived from checkout; nobody has acted on it yet.
    Placed,
    /// Ops accepted it and is preparing the parcel.
    Processing,
    /// A shipment exists with an AWB.
    Shipped,
    /// The customer received it (terminal).
    Delivered,
    /// Cancelled before it left the warehouse (terminal).
    Cancelled,
    /// Came back to the warehouse, return to origin (terminal).
    Returned,
}

/// Something a person or a worker does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Accept the order for fulfilment.
    MarkProcessing,
    /// A shipment was created and an AWB assigned.
    Ship,
    /// Cancel (from shipped only before pickup: the caller checks that).
    Cancel,
    /// The courier delivered it.
    Deliver,
    /// The courier returned it to origin.
    ReturnToOrigin,
}

/// Every allowed step, as `(from, action, to)`. Anything not listed is refused.
pub const TRANSITIONS: &[(OrderStatus, Action, OrderStatus)] = &[
    (
        OrderStatus::Placed,
        Action::MarkProcessing,
        OrderStatus::Processing,
    ),
    (OrderStatus::Placed, Action::Cancel, OrderStatus::Cancelled),
    (OrderStatus::Processing, Action::Ship, OrderStatus::Shipped),
    (
        OrderStatus::Processing,
        Action::Cancel,
        OrderStatus::Cancelled,
    ),
    (OrderStatus::Shipped, Action::Cancel, OrderStatus::Cancelled),
    (
        OrderStatus::Shipped,
        Action::Deliver,
        OrderStatus::Delivered,
    ),
    (
        OrderStatus::Shipped,
        Action::ReturnToOrigin,
        OrderStatus::Returned,
    ),
];

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Placed,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    /// The lowercase name used in storage, URLs and events.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }

    /// The status named `s` (exact lowercase name), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True when no action can leave this status.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        !TRANSITIONS.iter().any(|(from, _, _)| *from == self)
    }

    /// The status after `action`, if [`TRANSITIONS`] allows it.
    ///
    /// # Errors
    /// [`TransitionError`] naming the action and the current status.
    pub fn apply(self, action: Action) -> Result<OrderStatus, TransitionError> {
        TRANSITIONS
            .iter()
            .find(|(from, a, _)| *from == self && *a == action)
            .map(|(_, _, to)| *to)
            .ok_or(TransitionError { from: self, action })
    }

    /// True when [`TRANSITIONS`] allows `action` from this status.
    #[must_use]
    pub fn allows(self, action: Action) -> bool {
        self.apply(action).is_ok()
    }

    /// True while the order can still be shipped — now, or once marked processing — so its
    /// shipping address may still change. Derived from [`TRANSITIONS`].
    #[must_use]
    pub fn can_still_ship(self) -> bool {
        self.allows(Action::Ship)
            || self
                .apply(Action::MarkProcessing)
                .is_ok_and(|next| next.allows(Action::Ship))
    }

    /// The actions [`TRANSITIONS`] allows from this status, in table order.
    #[must_use]
    pub fn allowed_actions(self) -> Vec<Action> {
        TRANSITIONS
            .iter()
            .filter(|(from, _, _)| *from == self)
            .map(|(_, a, _)| *a)
            .collect()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::MarkProcessing,
        Action::Ship,
        Action::Cancel,
        Action::Deliver,
        Action::ReturnToOrigin,
    ];

    /// The snake_case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::MarkProcessing => "mark_processing",
            Action::Ship => "ship",
            Action::Cancel => "cancel",
            Action::Deliver => "deliver",
            Action::ReturnToOrigin => "return_to_origin",
        }
    }

    /// The action named `s` (snake_case), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The verb phrase used in messages ("cancel", "mark as processing").
    #[must_use]
    pub const fn verb(self) -> &'static str {
        match self {
            Action::MarkProcessing => "mark as processing",
            Action::Ship => "ship",
            Action::Cancel => "cancel",
            Action::Deliver => "mark as delivered",
            Action::ReturnToOrigin => "mark as returned to origin",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action the status machine does not allow from the current status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an order that is {}", action.verb(), from.as_str())]
pub struct TransitionError {
    /// The status the order was in.
    pub from: OrderStatus,
    /// The refused action.
    pub action: Action,
}

/// Orthogonal markers an ops person filters on; they do not change the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderFlag {
    /// Generating the shipment failed (the reason is stored alongside).
    ShipmentFailed,
    /// Scheduling the pickup failed.
    PickupError,
    /// Non-delivery report: delivery failed, action needed.
    Ndr,
    /// Placed long ago and not yet shipped.
    SlaAtRisk,
    /// The PIN code does not exist or does not match the state.
    AddressSuspect,
}

impl OrderFlag {
    /// Every flag.
    pub const ALL: [OrderFlag; 5] = [
        OrderFlag::ShipmentFailed,
        OrderFlag::PickupError,
        OrderFlag::Ndr,
        OrderFlag::SlaAtRisk,
        OrderFlag::AddressSuspect,
    ];

    /// The snake_case name used in storage and URLs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderFlag::ShipmentFailed => "shipment_failed",
            OrderFlag::PickupError => "pickup_error",
            OrderFlag::Ndr => "ndr",
            OrderFlag::SlaAtRisk => "sla_at_risk",
            OrderFlag::AddressSuspect => "address_suspect",
        }
    }

    /// The flag named `s`, if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<OrderFlag> {
        OrderFlag::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for OrderFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
