//! The request log: the last `CAP` calls in order, plus exact per-path counts for all of them
//! (bounded memory for long benchmarks and demos).

use std::collections::{HashMap, VecDeque};

use crate::state::CallLogEntry;

/// How many entries `calls()` keeps.
pub const CAP: usize = 100_000;

/// The log behind its own mutex (not the world's).
#[derive(Debug, Default)]
pub struct CallLog {
    entries: VecDeque<CallLogEntry>,
    by_path: HashMap<String, usize>,
}

impl CallLog {
    /// Records one answered call.
    pub fn push(&mut self, method: &str, path: &str, status: u16) {
        match self.by_path.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                self.by_path.insert(path.to_owned(), 1);
            }
        }
        if self.entries.len() == CAP {
            self.entries.pop_front();
        }
        let entry = CallLogEntry {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        };
        self.entries.push_back(entry);
    }

    /// The last `CAP` calls, oldest first.
    pub fn entries(&self) -> Vec<CallLogEntry> {
        self.entries.iter().cloned().collect()
    }

    /// Exact count per path since start (or the last clear).
    pub fn by_path(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_path.iter().map(|(p, n)| (p.as_str(), *n))
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_path.clear();
    }
}
