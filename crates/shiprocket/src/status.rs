//! The two Shiprocket status code spaces: shipment status (tracking, webhooks `shipment_status_id`,
//! scan `sr-status`) and order status (create/list `status_code`, webhook `current_status_id`).
//!
//! The spaces overlap numerically with different meanings (8 is "Canceled" for a shipment but
//! "ePayment Failed" for an order), so they are two enums. Unknown codes are kept, never fatal.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::flex::value_to_i64;

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($code:literal => $variant:ident, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = $label] $variant,)+
            /// A code not in the documented tables, kept as received.
            Unknown(u32),
        }

        impl $name {
            /// Maps a numeric code; undocumented codes become `Unknown(code)`.
            pub fn from_code(code: u32) -> Self {
                match code {
                    $($code => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }

            /// The numeric code.
            pub fn code(self) -> u32 {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Unknown(c) => c,
                }
            }

            /// The documented label ("Unknown" for undocumented codes).
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                    Self::Unknown(_) => "Unknown",
                }
            }

            /// Every documented code, in table order.
            pub const ALL_CODES: &'static [u32] = &[$($code),+];

            /// Reads a code from a number or a numeric string; `"NA"`, `""` and null give `None`.
            pub fn from_value(v: &Value) -> Option<Self> {
                value_to_i64(v).and_then(|n| u32::try_from(n).ok()).map(Self::from_code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} ({})", self.label(), self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u32(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(d)?;
                Self::from_value(&v).ok_or_else(|| serde::de::Error::custom(format!("not a status code: {v}")))
            }
        }
    };
}

status_enum! {
    /// Shipment status (official Tracking table, plus 1–5 and 11 used in practice).
    ShipmentStatus {
        1 => AwbAssigned, "AWB Assigned";
        2 => LabelGenerated, "Label Generated";
        3 => PickupScheduled, "Pickup Scheduled/Generated";
        4 => PickupQueued, "Pickup Queued";
        5 => ManifestGenerated, "Manifest Generated";
        6 => Shipped, "Shipped";
        7 => Delivered, "Delivered";
        8 => Canceled, "Canceled";
        9 => RtoInitiated, "RTO Initiated";
        10 => RtoDelivered, "RTO Delivered";
        11 => Pending, "Pending";
        12 => Lost, "Lost";
        13 => PickupError, "Pickup Error";
        14 => RtoAcknowledged, "RTO Acknowledged";
        15 => PickupRescheduled, "Pickup Rescheduled";
        16 => CancellationRequested, "Cancellation Requested";
        17 => OutForDelivery, "Out For Delivery";
        18 => InTransit, "In Transit";
        19 => OutForPickup, "Out For Pickup";
        20 => PickupException, "Pickup Exception";
        21 => Undelivered, "Undelivered";
        22 => Delayed, "Delayed";
        23 => PartialDelivered, "Partial Delivered";
        24 => Destroyed, "Destroyed";
        25 => Damaged, "Damaged";
        26 => Fulfilled, "Fulfilled";
        27 => PickupBooked, "Pickup Booked";
        38 => ReachedDestinationHub, "Reached at Destination Hub";
        39 => Misrouted, "Misrouted";
        40 => RtoNdr, "RTO NDR";
        41 => RtoOfd, "RTO OFD";
        42 => PickedUp, "Picked Up";
        43 => SelfFulfilled, "Self Fulfilled";
        44 => DisposedOff, "Disposed Off";
        45 => CancelledBeforeDispatched, "Cancelled Before Dispatched";
        46 => RtoInTransit, "RTO In Transit";
        47 => QcFailed, "QC Failed";
        48 => ReachedWarehouse, "Reached Warehouse";
        49 => CustomCleared, "Custom Cleared";
        50 => InFlight, "In Flight";
        51 => HandoverToCourier, "Handover to Courier";
        52 => ShipmentBooked, "Shipment Booked";
        54 => InTransitOverseas, "In Transit Overseas";
        55 => ConnectionAligned, "Connection Aligned";
        56 => ReachedOverseasWarehouse, "Reached Overseas Warehouse";
        57 => CustomClearedOverseas, "Custom Cleared Overseas";
        59 => BoxPacking, "Box Packing";
        60 => FcAllocated, "FC Allocated";
        61 => PicklistGenerated, "Picklist Generated";
        62 => ReadyToPack, "Ready To Pack";
        63 => Packed, "Packed";
        67 => FcManifestGenerated, "FC Manifest Generated";
        68 => ProcessedAtWarehouse, "Processed at Warehouse";
        71 => HandoverException, "Handover Exception";
        72 => PackedException, "Packed Exception";
        75 => RtoLock, "RTO Lock";
        76 => Untraceable, "Untraceable";
        77 => IssueRelatedToTheRecipient, "Issue Related To The Recipient";
        78 => ReachedBackAtSellerCity, "Reached Back At Seller City";
    }
}

impl ShipmentStatus {
    /// True once the parcel can no longer move forward (delivered, RTO delivered, lost, cancelled, ...).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::Canceled
                | Self::RtoDelivered
                | Self::Lost
                | Self::Destroyed
                | Self::Damaged
                | Self::DisposedOff
                | Self::CancelledBeforeDispatched
                | Self::SelfFulfilled
                | Self::Fulfilled
        )
    }
}

status_enum! {
    /// Order status (the `filter_by=status` table; `status_code` in order responses).
    OrderStatus {
        1 => New, "New";
        2 => Invoiced, "Invoiced";
        3 => ReadyToShip, "Ready To Ship";
        4 => PickupScheduled, "Pickup Scheduled";
        5 => Canceled, "Canceled";
        6 => Shipped, "Shipped";
        7 => Delivered, "Delivered";
        8 => EpaymentFailed, "ePayment Failed";
        9 => Returned, "Returned";
        10 => Unmapped, "Unmapped";
        11 => Unfulfillable, "Unfulfillable";
        12 => PickupQueue, "Pickup Queue";
        13 => PickupRescheduled, "Pickup Rescheduled";
        14 => PickupError, "Pickup Error";
        15 => RtoInitiated, "RTO Initiated";
        16 => RtoDelivered, "RTO Delivered";
        17 => RtoAcknowledged, "RTO Acknowledged";
        18 => CancellationRequested, "Cancellation Requested";
        19 => OutForDelivery, "Out for Delivery";
        20 => InTransit, "In Transit";
        21 => ReturnPending, "Return Pending";
        22 => ReturnInitiated, "Return Initiated";
        23 => ReturnPickupQueued, "Return Pickup Queued";
        24 => ReturnPickupError, "Return Pickup Error";
        25 => ReturnInTransit, "Return In Transit";
        26 => ReturnDelivered, "Return Delivered";
        27 => ReturnCancelled, "Return Cancelled";
        28 => ReturnPickupGenerated, "Return Pickup Generated";
        29 => ReturnCancellationRequested, "Return Cancellation Requested";
        30 => ReturnPickupCancelled, "Return Pickup Cancelled";
        31 => ReturnPickupRescheduled, "Return Pickup Rescheduled";
        32 => ReturnPickedUp, "Return Picked Up";
        33 => Lost, "Lost";
        34 => OutForPickup, "Out For Pickup";
        35 => PickupException, "Pickup Exception";
        36 => Undelivered, "Undelivered";
        37 => DeliveryDelayed, "Delivery Delayed";
        38 => PartialDelivered, "Partial Delivered";
        39 => Destroyed, "Destroyed";
        40 => Damaged, "Damaged";
        41 => Fulfilled, "Fulfilled";
        42 => Archived, "Archived";
        43 => ReachedDestinationHub, "Reached Destination Hub";
        44 => Misrouted, "Misrouted";
        45 => RtoOfd, "RTO OFD";
        46 => RtoNdr, "RTO NDR";
        47 => ReturnOutForPickup, "Return Out For Pickup";
        48 => ReturnOutForDelivery, "Return Out For Delivery";
        49 => ReturnPickupException, "Return Pickup Exception";
        50 => ReturnUndelivered, "Return Undelivered";
        51 => PickedUp, "Picked Up";
        52 => SelfFulfilled, "Self Fulfilled";
        53 => DisposedOff, "Disposed Off";
        54 => CanceledBeforeDispatched, "Canceled before Dispatched";
        55 => RtoInTransit, "RTO In-Transit";
        57 => QcFailed, "QC Failed";
        58 => ReachedWarehouse, "Reached Warehouse";
        59 => CustomCleared, "Custom Cleared";
        60 => InFlight, "In Flight";
        61 => HandoverToCourier, "Handover to Courier";
        62 => Booked, "Booked";
        64 => InTransitOverseas, "In Transit Overseas";
        65 => ConnectionAligned, "Connection Aligned";
        66 => ReachedOverseasWarehouse, "Reached Overseas Warehouse";
        67 => CustomClearedOverseas, "Custom Cleared Overseas";
        68 => ReturnAcknowledged, "Return Acknowledged";
        69 => BoxPacking, "Box Packing";
        70 => PickupBooked, "Pickup Booked";
        71 => DarkstoreScheduled, "Darkstore Scheduled";
        72 => AllocationInProgress, "Allocation in Progress";
        73 => FcAllocated, "FC Allocated";
        74 => PicklistGenerated, "Picklist Generated";
        75 => ReadyToPack, "Ready to Pack";
        76 => Packed, "Packed";
        80 => FcManifestGenerated, "FC Manifest Generated";
        81 => ProcessedAtWarehouse, "Processed at Warehouse";
        82 => PackedException, "Packed Exception";
        83 => HandoverException, "Handover Exception";
        87 => RtoLock, "RTO Lock";
        88 => Untraceable, "Untraceable";
        89 => IssueRelatedToTheRecipient, "Issue Related To The Recipient";
        90 => ReachedBackAtSellerCity, "Reached Back At Seller City";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_codes_are_kept_not_fatal() {
        assert_eq!(ShipmentStatus::from_code(999), ShipmentStatus::Unknown(999));
        assert_eq!(ShipmentStatus::Unknown(999).code(), 999);
        let s: ShipmentStatus = serde_json::from_value(json!("1234")).unwrap();
        assert_eq!(s, ShipmentStatus::Unknown(1234));
    }

    #[test]
    fn the_same_number_means_different_things_in_the_two_tables() {
        assert_eq!(ShipmentStatus::from_code(8), ShipmentStatus::Canceled);
        assert_eq!(OrderStatus::from_code(8), OrderStatus::EpaymentFailed);
        assert_eq!(ShipmentStatus::from_code(18), ShipmentStatus::InTransit);
        assert_eq!(OrderStatus::from_code(20), OrderStatus::InTransit);
    }

    #[test]
    fn sr_status_na_is_no_status() {
        assert_eq!(ShipmentStatus::from_value(&json!("NA")), None);
        assert_eq!(
            ShipmentStatus::from_value(&json!("7")),
            Some(ShipmentStatus::Delivered)
        );
    }
}
