//! Every date format Shiprocket is documented to send, parsed as India Standard Time (UTC+05:30).
//!
//! Empty markers (`""`, `"NA"`, `"0000-00-00 00:00:00"`, null) become `None`, never an error.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// India Standard Time, the zone of every Shiprocket timestamp.
pub const IST: UtcOffset = offset!(+05:30);

type Fmt = &'static [BorrowedFormatItem<'static>];

const DATE_TIMES: &[Fmt] = &[
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"),
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    format_description!("[year]-[month]-[day] [hour]:[minute]"),
    // "24 Jul 2019, 11:11 AM" (order lists)
    format_description!(
        "[day padding:none] [month repr:short case_sensitive:false] [year], [hour repr:12 padding:none]:[minute] [period case_sensitive:false]"
    ),
    // "21 Sep 2022 05:28 PM" (order detail)
    format_description!(
        "[day padding:none] [month repr:short case_sensitive:false] [year] [hour repr:12 padding:none]:[minute] [period case_sensitive:false]"
    ),
    // "23 05 2023 11:43:52" (webhook current_timestamp)
    format_description!("[day] [month] [year] [hour]:[minute]:[second]"),
];

const DATES: &[Fmt] = &[
    format_description!("[year]-[month]-[day]"),
    // "Jul 01, 2024" (serviceability etd)
    format_description!("[month repr:short case_sensitive:false] [day padding:none], [year]"),
    format_description!("[day padding:none] [month repr:short case_sensitive:false] [year]"),
    format_description!("[day]-[month]-[year]"),
];

/// True for the values Shiprocket uses to mean "no date".
fn is_empty_marker(s: &str) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("na")
        || s.eq_ignore_ascii_case("null")
        || s.starts_with("0000-00-00")
}

/// Removes an English ordinal suffix from a leading day number: "21st Sep 2022" → "21 Sep 2022".
fn strip_ordinal(s: &str) -> String {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &s[digits..];
        for suffix in ["st", "nd", "rd", "th"] {
            if let Some(tail) = rest.strip_prefix(suffix) {
                return format!("{}{}", &s[..digits], tail);
            }
        }
    }
    s.to_owned()
}

/// Parses any documented format into an IST wall-clock time. Date-only values become midnight.
pub fn parse_local(raw: &str) -> Option<PrimitiveDateTime> {
    let s = raw.trim();
    if is_empty_marker(s) {
        return None;
    }
    let s = strip_ordinal(s);
    for f in DATE_TIMES {
        if let Ok(dt) = PrimitiveDateTime::parse(&s, f) {
            return Some(dt);
        }
    }
    for f in DATES {
        if let Ok(d) = Date::parse(&s, f) {
            return Some(PrimitiveDateTime::new(d, Time::MIDNIGHT));
        }
    }
    OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| {
            let t = t.to_offset(IST);
            PrimitiveDateTime::new(t.date(), t.time())
        })
}

/// Parses any documented format and attaches the IST offset.
pub fn parse_ist(raw: &str) -> Option<OffsetDateTime> {
    parse_local(raw).map(|p| p.assume_offset(IST))
}

/// Reads a date from a string or a PHP DateTime object (`{date, timezone_type, timezone}`).
pub fn value_to_ist(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::String(s) => parse_ist(s),
        Value::Object(m) => {
            let local = parse_local(m.get("date")?.as_str()?)?;
            let zone = m.get("timezone").and_then(Value::as_str).unwrap_or("");
            if zone.eq_ignore_ascii_case("UTC") || zone == "+00:00" {
                Some(local.assume_utc().to_offset(IST))
            } else {
                Some(local.assume_offset(IST))
            }
        }
        _ => None,
    }
}

/// `deserialize_with` helper: optional IST timestamp from any documented representation.
pub fn de_opt_ist<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(value_to_ist(&Value::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn every_documented_format_parses_as_ist() {
        let cases = [
            ("2022-07-19 11:37:00", datetime!(2022-07-19 11:37:00 +05:30)),
            ("2019-07-24 11:11", datetime!(2019-07-24 11:11:00 +05:30)),
            (
                "2022-11-25 11:17:52.878599",
                datetime!(2022-11-25 11:17:52.878599 +05:30),
            ),
            ("Jul 01, 2024", datetime!(2024-07-01 00:00:00 +05:30)),
            (
                "24 Jul 2019, 11:11 AM",
                datetime!(2019-07-24 11:11:00 +05:30),
            ),
            (
                "21 Sep 2022 05:28 PM",
                datetime!(2022-09-21 17:28:00 +05:30),
            ),
            (
                "21st Sep 2022 05:28 PM",
                datetime!(2022-09-21 17:28:00 +05:30),
            ),
            ("23 05 2023 11:43:52", datetime!(2023-05-23 11:43:52 +05:30)),
            ("2024-01-02", datetime!(2024-01-02 00:00:00 +05:30)),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_ist(raw), Some(want), "{raw}");
        }
    }

    #[test]
    fn empty_markers_are_none() {
        for raw in ["", "NA", "na", "0000-00-00 00:00:00", "0000-00-00", "  "] {
            assert_eq!(parse_ist(raw), None, "{raw:?}");
        }
        assert_eq!(value_to_ist(&json!(null)), None);
        assert_eq!(value_to_ist(&json!("garbage")), None);
    }

    #[test]
    fn php_datetime_objects_are_read() {
        let v = json!({"date": "2022-11-25 11:17:52.878599", "timezone_type": 3, "timezone": "Asia/Kolkata"});
        assert_eq!(
            value_to_ist(&v),
            Some(datetime!(2022-11-25 11:17:52.878599 +05:30))
        );
        let utc =
            json!({"date": "2022-11-25 00:00:00.000000", "timezone_type": 3, "timezone": "UTC"});
        assert_eq!(
            value_to_ist(&utc),
            Some(datetime!(2022-11-25 05:30:00 +05:30))
        );
    }
}
