//! Test-only fault points. Production never arms one; a front-door test arms a point on the
//! running server's `AppState` so the next pass through it fails the way a real fault would, and
//! then checks what the saga decided.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where a fault can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Committing the AWB and `shipped`: the transaction fails with a transient database error.
    ShipCommitDbError,
    /// Committing the AWB and `shipped`: a flag change bumps the order's version between reading
    /// the order and the transition (a concurrent edit).
    ShipCommitVersionBump,
    /// Committing `→ cancelled` after Shiprocket cancelled the AWB: the transaction fails with a
    /// transient database error (the cancel intent stays and is finished by the worker).
    CancelCommitDbError,
}

/// Armed fault points, shared by every clone of the state.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    db_error: Arc<AtomicU32>,
    version_bump: Arc<AtomicU32>,
    cancel_db_error: Arc<AtomicU32>,
}

impl Faults {
    /// Makes the next `times` passes through `point` fail.
    pub fn arm(&self, point: FaultPoint, times: u32) {
        self.counter(point).store(times, Ordering::SeqCst);
    }

    /// True (once per armed pass) when `point` should fail now.
    pub(crate) fn fires(&self, point: FaultPoint) -> bool {
        self.counter(point)
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn counter(&self, point: FaultPoint) -> &AtomicU32 {
        match point {
            FaultPoint::ShipCommitDbError => &self.db_error,
            FaultPoint::ShipCommitVersionBump => &self.version_bump,
            FaultPoint::CancelCommitDbError => &self.cancel_db_error,
        }
    }
}
