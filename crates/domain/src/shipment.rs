//! A shipment attempt's lifecycle: every step of the saga, the forward path as data ([`FLOW`]) and
//! the terminal steps ([`TERMINAL`]). Stored and serialised as the snake_case names below.

use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::order::PaymentMethod;

/// Where a shipment attempt is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Recorded; the Shiprocket order is not created yet.
    Requested,
    /// The Shiprocket order and shipment exist.
    SrOrderCreated,
    /// A courier is chosen (by policy or by the person).
    CourierChosen,
    /// The AWB is assigned; the order is shipped.
    AwbAssigned,
    /// The courier's pickup is scheduled (or could not be: the order is flagged).
    PickupScheduled,
    /// Label and manifest asked for; nothing left to do (terminal).
    Done,
    /// Ended with a reason a person can act on (terminal).
    Failed,
    /// The order was cancelled; what existed at Shiprocket was cancelled (terminal).
    Cancelled,
}

/// The forward path of an attempt, as `(from, to)`: what each step commits leads to the next.
pub const FLOW: &[(Step, Step)] = &[
    (Step::Requested, Step::SrOrderCreated),
    (Step::SrOrderCreated, Step::CourierChosen),
    (Step::CourierChosen, Step::AwbAssigned),
    (Step::AwbAssigned, Step::PickupScheduled),
    (Step::PickupScheduled, Step::Done),
];

/// Steps no work leaves.
pub const TERMINAL: &[Step] = &[Step::Done, Step::Failed, Step::Cancelled];

impl Step {
    /// Every step, in lifecycle order.
    pub const ALL: [Step; 8] = [
        Step::Requested,
        Step::SrOrderCreated,
        Step::CourierChosen,
        Step::AwbAssigned,
        Step::PickupScheduled,
        Step::Done,
        Step::Failed,
        Step::Cancelled,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Requested => "requested",
            Step::SrOrderCreated => "sr_order_created",
            Step::CourierChosen => "courier_chosen",
            Step::AwbAssigned => "awb_assigned",
            Step::PickupScheduled => "pickup_scheduled",
            Step::Done => "done",
            Step::Failed => "failed",
            Step::Cancelled => "cancelled",
        }
    }

    /// The step stored as `s` (exact name), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The step after this one on the forward path ([`FLOW`]); `None` for terminal steps.
    #[must_use]
    pub fn next(self) -> Option<Step> {
        FLOW.iter()
            .find(|(from, _)| *from == self)
            .map(|(_, to)| *to)
    }

    /// True when no work leaves this step ([`TERMINAL`]).
    #[must_use]
    pub fn is_terminal(self) -> bool {
        TERMINAL.contains(&self)
    }

    /// True while the attempt counts for its order: not failed and not cancelled.
    #[must_use]
    pub fn is_live(self) -> bool {
        !matches!(self, Step::Failed | Step::Cancelled)
    }

    /// True once the AWB is assigned (the order is shipped by this attempt).
    #[must_use]
    pub fn has_awb(self) -> bool {
        self >= Step::AwbAssigned && self.is_live()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_round_trips_through_its_stored_name_and_serde() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Step::parse("Requested"), None);
    }

    #[test]
    fn the_forward_path_reaches_done_from_requested_and_terminal_steps_have_no_next() {
        let mut s = Step::Requested;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            s = n;
            seen.push(s);
        }
        assert_eq!(s, Step::Done);
        assert_eq!(seen.len(), FLOW.len() + 1);
        for t in TERMINAL {
            assert_eq!(t.next(), None);
            assert!(t.is_terminal());
        }
        for (from, _) in FLOW {
            assert!(!from.is_terminal());
        }
    }

    #[test]
    fn only_assigned_pickup_and_done_carry_an_awb() {
        let with: Vec<_> = Step::ALL.into_iter().filter(|s| s.has_awb()).collect();
        assert_eq!(
            with,
            vec![Step::AwbAssigned, Step::PickupScheduled, Step::Done]
        );
    }
}
