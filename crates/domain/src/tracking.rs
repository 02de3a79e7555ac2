//! Shiprocket shipment status codes (reference §9.1) mapped to what they mean for an order:
//! a [`TrackingEffect`], which scan wins when scans arrive twice or out of order ([`supersedes`]),
//! and the order action and flags that follow ([`outcome`]).

use crate::status::{Action, OrderStatus};
use serde::{Deserialize, Serialize};

/// What a tracking scan means for the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingEffect {
    /// An informational scan (booking, packing, manifest, delays, unknown codes): nothing changes.
    None,
    /// The courier has the parcel.
    PickedUp,
    /// Moving through the courier's network.
    InTransit,
    /// With the delivery agent today.
    OutForDelivery,
    /// The customer received it.
    Delivered,
    /// Delivery failed (non-delivery report): a person must act.
    Ndr,
    /// Coming back to the warehouse (return to origin).
    RtoInitiated,
    /// Back at the warehouse: the order becomes returned.
    RtoDelivered,
    /// Lost, destroyed, damaged or disposed of.
    Lost,
    /// The courier could not pick the parcel up.
    PickupError,
    /// The shipment was cancelled.
    Cancelled,
}

impl TrackingEffect {
    /// Every effect, lowest [`rank`](TrackingEffect::rank) first.
    pub const ALL: [TrackingEffect; 11] = [
        TrackingEffect::None,
        TrackingEffect::PickupError,
        TrackingEffect::Cancelled,
        TrackingEffect::PickedUp,
        TrackingEffect::InTransit,
        TrackingEffect::OutForDelivery,
        TrackingEffect::Ndr,
        TrackingEffect::RtoInitiated,
        TrackingEffect::Lost,
        TrackingEffect::RtoDelivered,
        TrackingEffect::Delivered,
    ];

    /// The snake_case name used in storage and events.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            TrackingEffect::None => "none",
            TrackingEffect::PickedUp => "picked_up",
            TrackingEffect::InTransit => "in_transit",
            TrackingEffect::OutForDelivery => "out_for_delivery",
            TrackingEffect::Delivered => "delivered",
            TrackingEffect::Ndr => "ndr",
            TrackingEffect::RtoInitiated => "rto_initiated",
            TrackingEffect::RtoDelivered => "rto_delivered",
            TrackingEffect::Lost => "lost",
            TrackingEffect::PickupError => "pickup_error",
            TrackingEffect::Cancelled => "cancelled",
        }
    }

    /// The effect named `s` (snake_case), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<TrackingEffect> {
        TrackingEffect::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// How far along the parcel's life this is; a scan only replaces one of lower rank
    /// (see [`supersedes`] for the one exception).
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            TrackingEffect::None => 0,
            TrackingEffect::PickupError => 1,
            TrackingEffect::Cancelled => 2,
            TrackingEffect::PickedUp => 3,
            TrackingEffect::InTransit => 4,
            TrackingEffect::OutForDelivery => 5,
            TrackingEffect::Ndr => 6,
            TrackingEffect::RtoInitiated => 7,
            TrackingEffect::Lost => 8,
            TrackingEffect::RtoDelivered => 9,
            TrackingEffect::Delivered => 10,
        }
    }
}

impl std::fmt::Display for TrackingEffect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every shipment status code Orderly knows: the official §9.1 table plus the six codes seen in
/// practice (1–5, 11), with Shiprocket's name and the effect.
pub const SHIPMENT_STATUSES: &[(u32, &str, TrackingEffect)] = {
    use TrackingEffect as E;
    &[
        (1, "AWB Assigned", E::None),
        (2, "Label Generated", E::None),
        (3, "Pickup Scheduled/Generated", E::None),
        (4, "Pickup Queued", E::None),
        (5, "Manifest Generated", E::None),
        (6, "Shipped", E::InTransit),
        (7, "Delivered", E::Delivered),
        (8, "Canceled", E::Cancelled),
        (9, "RTO Initiated", E::RtoInitiated),
        (10, "RTO Delivered", E::RtoDelivered),
        (11, "Pending", E::None),
        (12, "Lost", E::Lost),
        (13, "Pickup Error", E::PickupError),
        (14, "RTO Acknowledged", E::RtoDelivered),
        (15, "Pickup Rescheduled", E::None),
        (16, "Cancellation Requested", E::None),
        (17, "Out For Delivery", E::OutForDelivery),
        (18, "In Transit", E::InTransit),
        (19, "Out For Pickup", E::None),
        (20, "Pickup Exception", E::PickupError),
        (21, "Undelivered", E::Ndr),
        (22, "Delayed", E::None),
        (23, "Partial_Delivered", E::Ndr),
        (24, "Destroyed", E::Lost),
        (25, "Damaged", E::Lost),
        (26, "Fulfilled", E::Delivered),
        (27, "Pickup Booked", E::None),
        (38, "Reached at Destination Hub", E::InTransit),
        (39, "Misrouted", E::InTransit),
        (40, "RTO_NDR", E::RtoInitiated),
        (41, "RTO_OFD", E::RtoInitiated),
        (42, "Picked Up", E::PickedUp),
        (43, "Self Fulfilled", E::None),
        (44, "Disposed Off", E::Lost),
        (45, "Cancelled_Before_Dispatched", E::Cancelled),
        (46, "RTO In Intransit", E::RtoInitiated),
        (47, "QC Failed", E::None),
        (48, "Reached Warehouse", E::InTransit),
        (49, "Custom Cleared", E::InTransit),
        (50, "In Flight", E::InTransit),
        (51, "Handover to Courier", E::PickedUp),
        (52, "Shipment Booked", E::None),
        (54, "In Transit Overseas", E::InTransit),
        (55, "Connection Aligned", E::InTransit),
        (56, "Reached Overseas Warehouse", E::InTransit),
        (57, "Custom Cleared Overseas", E::InTransit),
        (59, "Box Packing", E::None),
        (60, "FC Allocated", E::None),
        (61, "Picklist Generated", E::None),
        (62, "Ready To Pack", E::None),
        (63, "Packed", E::None),
        (67, "FC Manifest Generated", E::None),
        (68, "Processed at Warehouse", E::None),
        (71, "Handover Exception", E::PickupError),
        (72, "Packed Exception", E::None),
        (75, "RTO_Lock", E::RtoInitiated),
        (76, "Untraceable", E::Lost),
        (77, "Issue_Related_To_The_Recipient", E::Ndr),
        (78, "Reached_Back_At_Seller_City", E::RtoInitiated),
    ]
};

/// The effect of a shipment status code (`shipment_status`, `shipment_status_id`, `sr-status`);
/// an unknown code is [`TrackingEffect::None`].
#[must_use]
pub fn effect_of(shipment_status_code: u32) -> TrackingEffect {
    SHIPMENT_STATUSES
        .iter()
        .find(|(c, _, _)| *c == shipment_status_code)
        .map_or(TrackingEffect::None, |(_, _, e)| *e)
}

/// Shiprocket's name for a shipment status code, or `"Unknown"`.
#[must_use]
pub fn label(code: u32) -> &'static str {
    SHIPMENT_STATUSES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("Unknown", |(_, l, _)| *l)
}

/// Whether a scan with effect `new` replaces the shipment's `current` effect. Stale and repeated
/// scans never do: a scan replaces only one of lower [`rank`](TrackingEffect::rank), so delivered is
/// final, the RTO chain is never undone by a forward scan, and informational scans change nothing.
/// The one documented step back: a re-attempt out for delivery after an NDR
/// (NDR → out for delivery → delivered).
#[must_use]
pub fn supersedes(new: TrackingEffect, current: TrackingEffect) -> bool {
    if new == TrackingEffect::None {
        return false;
    }
    if (new, current) == (TrackingEffect::OutForDelivery, TrackingEffect::Ndr) {
        return true;
    }
    new.rank() > current.rank()
}

/// What a tracking effect does to the order: at most one status action, and flags to set or clear.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// [`Action::Deliver`] or [`Action::ReturnToOrigin`], only when the status machine allows it.
    pub action: Option<Action>,
    /// Set the NDR flag with this reason.
    pub set_ndr: Option<String>,
    /// Clear the NDR flag (delivered, re-attempt out for delivery, RTO under way or done).
    pub clear_ndr: bool,
    /// Set the pickup-error flag with this reason.
    pub set_pickup_error: Option<String>,
    /// Clear the pickup-error flag (the courier has the parcel after all).
    pub clear_pickup_error: bool,
    /// The parcel is lost (or destroyed, damaged, disposed of): tell a person.
    pub lost: bool,
}

/// What the order in status `current` should become after a scan with `effect`; `scan_label` is
/// the scan's text for the flag reason (Shiprocket's label is used when it is blank). A finished
/// order (delivered, cancelled, returned) gets no new flags.
#[must_use]
pub fn outcome(current: OrderStatus, effect: TrackingEffect, scan_label: &str) -> Outcome {
    let reason = |fallback: &str| {
        let text = scan_label.trim();
        if text.is_empty() {
            fallback.to_owned()
        } else {
            text.to_owned()
        }
    };
    let allowed = |action: Action| current.apply(action).is_ok().then_some(action);
    let open = !current.is_terminal();
    let mut out = Outcome::default();
    match effect {
        TrackingEffect::None | TrackingEffect::InTransit | TrackingEffect::Cancelled => {}
        TrackingEffect::PickedUp => out.clear_pickup_error = true,
        TrackingEffect::OutForDelivery => {
            out.clear_ndr = true;
            out.clear_pickup_error = true;
        }
        TrackingEffect::Delivered => {
            out.action = allowed(Action::Deliver);
            out.clear_ndr = true;
            out.clear_pickup_error = true;
        }
        TrackingEffect::RtoInitiated => out.clear_ndr = true,
        TrackingEffect::RtoDelivered => {
            out.action = allowed(Action::ReturnToOrigin);
            out.clear_ndr = true;
        }
        TrackingEffect::Ndr if open => out.set_ndr = Some(reason("Undelivered")),
        TrackingEffect::PickupError if open => out.set_pickup_error = Some(reason("Pickup Error")),
        TrackingEffect::Lost if open => out.lost = true,
        TrackingEffect::Ndr | TrackingEffect::PickupError | TrackingEffect::Lost => {}
    }
    out
}
