//! The simulated clock (start + offset, optionally running faster than wall-clock) and IST date formats.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// India Standard Time; Shiprocket prints every time in IST.
pub const IST: UtcOffset = offset!(+5:30);

/// "now" = start + offset (+ scaled wall-clock time since spawn in real-time mode).
#[derive(Debug, Clone)]
pub struct SimClock {
    start: OffsetDateTime,
    offset: Duration,
    real: Option<(Instant, f64)>,
}

impl SimClock {
    /// A clock starting at `start`; `speed` makes it follow wall-clock time `speed` times faster.
    pub fn new(start: OffsetDateTime, speed: Option<f64>) -> Self {
        let real = speed
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| (Instant::now(), s));
        Self {
            start: start.to_offset(IST),
            offset: Duration::ZERO,
            real,
        }
    }

    /// The simulated now, in IST.
    pub fn now(&self) -> OffsetDateTime {
        let mut t = self.start + self.offset;
        if let Some((since, speed)) = self.real {
            t += since.elapsed().mul_f64(speed);
        }
        t
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

const YMD_HMS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const ETD: &[BorrowedFormatItem<'_>] = format_description!("[month repr:short] [day], [year]");
const WEBHOOK: &[BorrowedFormatItem<'_>] =
    format_description!("[day] [month] [year] [hour]:[minute]:[second]");
const DDMMYYYY: &[BorrowedFormatItem<'_>] = format_description!("[day][month][year]");
const YMD: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

fn fmt(t: OffsetDateTime, f: &[BorrowedFormatItem<'_>]) -> String {
    t.to_offset(IST).format(f).unwrap_or_default()
}

/// "2024-07-01 14:05:09".
pub fn ymd_hms(t: OffsetDateTime) -> String {
    fmt(t, YMD_HMS)
}

/// "Jul 01, 2024" (serviceability `etd`).
pub fn etd(t: OffsetDateTime) -> String {
    fmt(t, ETD)
}

/// "01 07 2024 14:05:09" (webhook `current_timestamp`).
pub fn webhook_ts(t: OffsetDateTime) -> String {
    fmt(t, WEBHOOK)
}

/// "01072024" (pickup token numbers).
pub fn ddmmyyyy(t: OffsetDateTime) -> String {
    fmt(t, DDMMYYYY)
}

/// A PHP DateTime object: `{date: "2022-11-25 11:17:52.878599", timezone_type: 3, timezone: "Asia/Kolkata"}`.
pub fn php_datetime(t: OffsetDateTime) -> Value {
    let t = t.to_offset(IST);
    json!({
        "date": format!("{}.{:06}", ymd_hms(t), t.microsecond()),
        "timezone_type": 3,
        "timezone": "Asia/Kolkata",
    })
}

/// Parses "YYYY-MM-DD" into a date.
pub fn parse_ymd(s: &str) -> Option<time::Date> {
    time::Date::parse(s.trim(), YMD).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_use_shiprocket_formats_in_ist() {
        let t = datetime!(2024-07-01 08:35:09 UTC);
        assert_eq!(ymd_hms(t), "2024-07-01 14:05:09");
        assert_eq!(etd(t), "Jul 01, 2024");
        assert_eq!(webhook_ts(t), "01 07 2024 14:05:09");
    }

    #[test]
    fn the_clock_only_moves_when_advanced() {
        let mut c = SimClock::new(datetime!(2024-07-01 08:00 UTC), None);
        let a = c.now();
        c.advance(Duration::from_secs(3600));
        assert_eq!(c.now() - a, time::Duration::hours(1));
    }
}
