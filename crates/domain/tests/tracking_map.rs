//! Shipment status codes to effects, which scan wins, and what the order becomes; tracking
//! webhooks replayed twice and out of order leave the same final state.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::status::{Action, OrderStatus};
use orderly_domain::tracking::{
    Outcome, SHIPMENT_STATUSES, TrackingEffect, effect_of, label, outcome, supersedes,
};
use proptest::prelude::*;
use std::collections::HashSet;

/// The official §9.1 table (53 codes) plus the six seen in practice.
const DOCUMENTED: [u32; 59] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 57, 59, 60, 61, 62,
    63, 67, 68, 71, 72, 75, 76, 77, 78,
];

/// Reference §9.3 forward path: AWB, pickup, manifest, out for pickup, picked up, shipped,
/// in transit, destination hub, out for delivery, delivered.
const FORWARD: &[u32] = &[1, 3, 5, 19, 42, 6, 18, 38, 17, 7];
/// A pickup exception, then NDR and a re-attempt that is delivered.
const NDR: &[u32] = &[1, 3, 5, 19, 20, 19, 42, 6, 18, 38, 17, 21, 17, 7];
/// §9.3 NDR/RTO path: undelivered, RTO initiated, RTO in transit, RTO out for delivery, RTO delivered.
const RTO: &[u32] = &[1, 3, 5, 19, 42, 6, 18, 38, 17, 21, 9, 46, 41, 10];

#[test]
fn every_documented_code_has_a_label_and_the_table_has_no_duplicates() {
    let codes: Vec<u32> = SHIPMENT_STATUSES.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(codes, DOCUMENTED);
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
    for code in DOCUMENTED {
        assert_ne!(label(code), "Unknown", "code {code}");
    }
    assert_eq!(label(7), "Delivered");
    assert_eq!(label(42), "Picked Up");
    assert_eq!(label(53), "Unknown");
    assert_eq!(effect_of(53), TrackingEffect::None);
    assert_eq!(effect_of(0), TrackingEffect::None);
    assert_eq!(effect_of(9999), TrackingEffect::None);
}

#[test]
fn codes_map_to_the_effects_the_issue_names() {
    use TrackingEffect as E;
    let cases = [
        (7, E::Delivered),
        (26, E::Delivered),
        (21, E::Ndr),
        (77, E::Ndr),
        (9, E::RtoInitiated),
        (46, E::RtoInitiated),
        (41, E::RtoInitiated),
        (40, E::RtoInitiated),
        (10, E::RtoDelivered),
        (14, E::RtoDelivered),
        (12, E::Lost),
        (76, E::Lost),
        (24, E::Lost),
        (13, E::PickupError),
        (20, E::PickupError),
        (42, E::PickedUp),
        (6, E::InTransit),
        (18, E::InTransit),
        (38, E::InTransit),
        (17, E::OutForDelivery),
        (8, E::Cancelled),
        (45, E::Cancelled),
        (1, E::None),
        (5, E::None),
        (22, E::None),
    ];
    for (code, effect) in cases {
        assert_eq!(effect_of(code), effect, "code {code} ({})", label(code));
    }
}

#[test]
fn effect_names_round_trip() {
    for e in TrackingEffect::ALL {
        assert_eq!(TrackingEffect::parse(e.as_str()), Some(e));
        assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{e}\""));
    }
}

#[test]
fn a_stale_or_repeated_scan_never_replaces_a_later_one() {
    use TrackingEffect as E;
    assert!(!supersedes(E::InTransit, E::OutForDelivery));
    assert!(
        !supersedes(E::InTransit, E::InTransit),
        "a duplicate changes nothing"
    );
    assert!(!supersedes(E::PickupError, E::PickedUp));
    assert!(
        !supersedes(E::OutForDelivery, E::RtoInitiated),
        "the RTO chain is not undone"
    );
    assert!(!supersedes(E::Ndr, E::RtoInitiated));
    for e in TrackingEffect::ALL {
        assert!(
            !supersedes(e, E::Delivered),
            "delivered is final; {e} replaced it"
        );
        assert!(
            !supersedes(E::None, e),
            "an informational scan replaced {e}"
        );
        assert!(!supersedes(e, e));
    }
}

#[test]
fn an_ndr_re_attempt_goes_back_out_for_delivery_and_then_delivers() {
    use TrackingEffect as E;
    assert!(supersedes(E::Ndr, E::OutForDelivery));
    assert!(supersedes(E::OutForDelivery, E::Ndr));
    assert!(supersedes(E::Delivered, E::Ndr));
    assert!(supersedes(E::RtoInitiated, E::Ndr));
    assert!(supersedes(E::RtoDelivered, E::RtoInitiated));
    assert!(supersedes(E::PickedUp, E::PickupError));
}

#[test]
fn delivered_and_rto_delivered_move_a_shipped_order() {
    let o = outcome(OrderStatus::Shipped, TrackingEffect::Delivered, "DELIVERED");
    assert_eq!(o.action, Some(Action::Deliver));
    assert!(o.clear_ndr);
    let o = outcome(
        OrderStatus::Shipped,
        TrackingEffect::RtoDelivered,
        "RTO DELIVERED",
    );
    assert_eq!(o.action, Some(Action::ReturnToOrigin));
    let o = outcome(
        OrderStatus::Returned,
        TrackingEffect::Delivered,
        "DELIVERED",
    );
    assert_eq!(
        o.action, None,
        "the status machine refuses it, so no action"
    );
}

#[test]
fn ndr_pickup_error_and_lost_set_flags_with_the_scan_text() {
    let o = outcome(
        OrderStatus::Shipped,
        TrackingEffect::Ndr,
        "Consignee unavailable",
    );
    assert_eq!(o.set_ndr.as_deref(), Some("Consignee unavailable"));
    assert_eq!(o.action, None);
    let o = outcome(OrderStatus::Shipped, TrackingEffect::Ndr, "  ");
    assert_eq!(o.set_ndr.as_deref(), Some("Undelivered"));
    let o = outcome(
        OrderStatus::Shipped,
        TrackingEffect::PickupError,
        "Pickup Exception",
    );
    assert_eq!(o.set_pickup_error.as_deref(), Some("Pickup Exception"));
    let o = outcome(OrderStatus::Shipped, TrackingEffect::Lost, "Untraceable");
    assert!(o.lost);
    let o = outcome(OrderStatus::Shipped, TrackingEffect::PickedUp, "Picked Up");
    assert!(o.clear_pickup_error);
    let o = outcome(OrderStatus::Shipped, TrackingEffect::OutForDelivery, "OFD");
    assert!(o.clear_ndr);
}

#[test]
fn a_finished_order_gets_no_new_flags() {
    for status in [
        OrderStatus::Delivered,
        OrderStatus::Returned,
        OrderStatus::Cancelled,
    ] {
        for e in [
            TrackingEffect::Ndr,
            TrackingEffect::PickupError,
            TrackingEffect::Lost,
        ] {
            assert_eq!(outcome(status, e, "late scan"), Outcome::default());
        }
    }
}

/// The order and shipment state a sequence of webhooks leaves behind.
#[derive(Debug, PartialEq)]
struct State {
    effect: TrackingEffect,
    status: OrderStatus,
    ndr: Option<String>,
    pickup_error: Option<String>,
    lost: bool,
}

/// Applies webhooks the way a handler would: ignore what does not supersede, else act on the outcome.
fn replay(codes: &[u32]) -> State {
    let mut s = State {
        effect: TrackingEffect::None,
        status: OrderStatus::Shipped,
        ndr: None,
        pickup_error: None,
        lost: false,
    };
    for &code in codes {
        let effect = effect_of(code);
        if !supersedes(effect, s.effect) {
            continue;
        }
        s.effect = effect;
        let o = outcome(s.status, effect, label(code));
        if let Some(a) = o.action {
            s.status = s.status.apply(a).unwrap();
        }
        if o.clear_ndr {
            s.ndr = None;
        }
        if o.clear_pickup_error {
            s.pickup_error = None;
        }
        s.ndr = o.set_ndr.or(s.ndr);
        s.pickup_error = o.set_pickup_error.or(s.pickup_error);
        s.lost |= o.lost;
    }
    s
}

#[test]
fn each_path_in_order_ends_in_the_right_state() {
    let forward = replay(FORWARD);
    assert_eq!(forward.effect, TrackingEffect::Delivered);
    assert_eq!(forward.status, OrderStatus::Delivered);
    let ndr = replay(NDR);
    assert_eq!(ndr.status, OrderStatus::Delivered);
    assert_eq!((ndr.ndr, ndr.pickup_error), (None, None));
    let rto = replay(RTO);
    assert_eq!(rto.effect, TrackingEffect::RtoDelivered);
    assert_eq!(rto.status, OrderStatus::Returned);
    assert_eq!(rto.ndr, None);
    let stuck = replay(&RTO[..10]);
    assert_eq!(stuck.ndr.as_deref(), Some("Undelivered"));
    assert_eq!(stuck.status, OrderStatus::Shipped);
}

/// A path, each scan repeated 1–3 times, then shuffled.
fn duplicated_and_shuffled() -> impl Strategy<Value = (&'static [u32], Vec<u32>)> {
    prop::sample::select(vec![FORWARD, NDR, RTO]).prop_flat_map(|path| {
        prop::collection::vec(1usize..=3, path.len()).prop_flat_map(move |times| {
            let dup: Vec<u32> = path
                .iter()
                .zip(&times)
                .flat_map(|(c, n)| std::iter::repeat_n(*c, *n))
                .collect();
            (Just(path), Just(dup).prop_shuffle())
        })
    })
}

proptest! {
    #[test]
    fn webhooks_delivered_twice_and_out_of_order_leave_the_same_final_state(
        (path, scans) in duplicated_and_shuffled()
    ) {
        let in_order = replay(path);
        let shuffled = replay(&scans);
        prop_assert_eq!(shuffled.effect, in_order.effect);
        prop_assert_eq!(shuffled.status, in_order.status);
        prop_assert_eq!(shuffled.ndr, in_order.ndr);
        prop_assert_eq!(shuffled.pickup_error, in_order.pickup_error);
        prop_assert_eq!(shuffled.lost, in_order.lost);
    }

    #[test]
    fn supersedes_is_a_strict_order_apart_from_the_ndr_re_attempt(
        a in prop::sample::select(TrackingEffect::ALL.to_vec()),
        b in prop::sample::select(TrackingEffect::ALL.to_vec()),
    ) {
        let ndr_pair = [a, b].contains(&TrackingEffect::Ndr) && [a, b].contains(&TrackingEffect::OutForDelivery);
        if !ndr_pair {
            prop_assert!(!(supersedes(a, b) && supersedes(b, a)));
        }
    }
}
