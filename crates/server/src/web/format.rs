//! How the dashboard writes times and money: IST wall-clock times, "5 min ago", ₹ with Indian
//! digit grouping, status labels.

use orderly_domain::Money;
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime};

/// `25 Nov 2026, 14:05 IST`.
pub fn ist(t: OffsetDateTime) -> String {
    let fmt = format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute]");
    let local = t.to_offset(offset!(+5:30));
    match local.format(&fmt) {
        Ok(s) => format!("{s} IST"),
        Err(_) => local.to_string(),
    }
}

/// `just now`, `5 min ago`, `3 h ago`, `2 days ago` (then the IST date).
pub fn relative(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let d = now - t;
    if d < Duration::minutes(1) {
        "just now".into()
    } else if d < Duration::hours(1) {
        format!("{} min ago", d.whole_minutes())
    } else if d < Duration::hours(24) {
        format!("{} h ago", d.whole_hours())
    } else if d < Duration::days(7) {
        let days = d.whole_days();
        format!("{days} day{} ago", if days == 1 { "" } else { "s" })
    } else {
        let fmt = format_description!("[day padding:none] [month repr:short] [year]");
        t.to_offset(offset!(+5:30)).format(&fmt).unwrap_or_default()
    }
}

/// `₹1,23,456.78`.
pub fn inr(paise: i64) -> String {
    Money::from_paise(paise).format_inr()
}

/// The label a person reads for a stored status (`placed` → `Placed`).
pub fn status_label(status: &str) -> String {
    let mut c = status.chars();
    match c.next() {
        Some(first) => first
            .to_uppercase()
            .chain(c)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_shown_in_ist() {
        assert_eq!(
            ist(datetime!(2026-11-25 08:35 UTC)),
            "25 Nov 2026, 14:05 IST"
        );
    }

    #[test]
    fn recent_times_are_relative() {
        let now = datetime!(2026-11-25 08:35 UTC);
        assert_eq!(relative(now - Duration::seconds(20), now), "just now");
        assert_eq!(relative(now - Duration::minutes(5), now), "5 min ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 h ago");
        assert_eq!(relative(now - Duration::days(1), now), "1 day ago");
    }

    #[test]
    fn money_uses_indian_grouping() {
        assert_eq!(inr(12_345_678), "₹1,23,456.78");
    }
}
