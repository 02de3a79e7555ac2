//! Property and table tests for the order status machine.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::status::{Action, OrderFlag, OrderStatus, TRANSITIONS};
use proptest::prelude::*;
use std::collections::HashSet;

fn any_action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::ALL.to_vec())
}

proptest! {
    #[test]
    fn no_sequence_of_actions_makes_a_step_the_table_forbids(actions in prop::collection::vec(any_action(), 0..40)) {
        let mut state = OrderStatus::Placed;
        for action in actions {
            match state.apply(action) {
                Ok(next) => {
                    prop_assert!(TRANSITIONS.contains(&(state, action, next)),
                        "{state:?} --{action:?}--> {next:?} is not a row of TRANSITIONS");
                    state = next;
                }
                Err(e) => {
                    prop_assert!(!TRANSITIONS.iter().any(|(f, a, _)| *f == state && *a == action));
                    prop_assert_eq!(e.from, state);
                }
            }
        }
    }
}

#[test]
fn terminal_states_accept_no_action() {
    let terminal: Vec<_> = OrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [
            OrderStatus::Delivered,
            OrderStatus::Cancelled,
            OrderStatus::Returned
        ]
    );
    for s in terminal {
        assert!(s.allowed_actions().is_empty());
        for a in Action::ALL {
            assert!(s.apply(a).is_err(), "{s:?} accepted {a:?}");
        }
    }
}

#[test]
fn every_state_is_reachable_from_placed() {
    let mut seen = HashSet::from([OrderStatus::Placed]);
    let mut frontier = vec![OrderStatus::Placed];
    while let Some(s) = frontier.pop() {
        for a in s.allowed_actions() {
            let next = s.apply(a).unwrap();
            if seen.insert(next) {
                frontier.push(next);
            }
        }
    }
    assert_eq!(seen.len(), OrderStatus::ALL.len());
}

#[test]
fn the_table_has_no_two_rows_for_one_state_and_action() {
    let keys: HashSet<_> = TRANSITIONS.iter().map(|(f, a, _)| (*f, *a)).collect();
    assert_eq!(keys.len(), TRANSITIONS.len());
}

#[test]
fn a_refused_transition_says_what_and_why() {
    let err = OrderStatus::Delivered.apply(Action::Cancel).unwrap_err();
    assert_eq!(err.to_string(), "cannot cancel an order that is delivered");
    let err = OrderStatus::Placed.apply(Action::Ship).unwrap_err();
    assert_eq!(err.to_string(), "cannot ship an order that is placed");
}

#[test]
fn names_round_trip_through_parse_and_serde() {
    for s in OrderStatus::ALL {
        assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    for a in Action::ALL {
        assert_eq!(Action::parse(a.as_str()), Some(a));
    }
    for f in OrderFlag::ALL {
        assert_eq!(OrderFlag::parse(f.as_str()), Some(f));
        assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
    }
    assert_eq!(OrderStatus::parse("Placed"), None);
}
