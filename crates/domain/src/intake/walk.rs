//! A hand-written walker over `serde_json::Value` that collects every field error with its pointer.

use super::FieldError;
use crate::money::Money;
use serde_json::{Map, Value};

/// Largest amount accepted in any money field: ₹100 crore. With at most 500 lines of at most
/// 10,000 units, no sum or tax computed from valid input can come near `i64::MAX`.
pub const MAX_PAISE: i64 = 10_000_000_000;

/// Collects [`FieldError`]s while the parsers read a JSON document.
#[derive(Debug, Default)]
pub(super) struct Walker {
    pub(super) errors: Vec<FieldError>,
}

/// `base/key` as a JSON pointer (our keys never need `~` escaping).
pub(super) fn join(base: &str, key: &str) -> String {
    let mut p = String::with_capacity(base.len() + key.len() + 1);
    p.push_str(base);
    p.push('/');
    p.push_str(key);
    p
}

/// How a value is named in "expected X, got Y" messages. Numbers are shown; strings are not.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => n.to_string(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

impl Walker {
    /// Records an error at `pointer`.
    pub(super) fn err(&mut self, pointer: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// `value` as an object, or an error.
    pub(super) fn object<'v>(&mut self, v: &'v Value, ptr: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(ptr, format!("expected an object, got {}", describe(other)));
                None
            }
        }
    }

    /// A required member: missing and `null` are both "is required".
    pub(super) fn required<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        base: &str,
        key: &str,
    ) -> Option<&'v Value> {
        match obj.get(key) {
            None | Some(Value::Null) => {
                self.err(&join(base, key), "is required");
                None
            }
            Some(v) => Some(v),
        }
    }

    /// Free text: a string, trimmed, 1..=`max` characters, no control characters.
    pub(super) fn text(&mut self, v: &Value, ptr: &str, max: usize) -> Option<String> {
        let Value::String(s) = v else {
            self.err(ptr, format!("expected a string, got {}", describe(v)));
            return None;
        };
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 {
            self.err(ptr, "must not be empty");
            None
        } else if n > max {
            self.err(ptr, format!("must be at most {max} characters (got {n})"));
            None
        } else if t.chars().any(char::is_control) {
            self.err(
                ptr,
                "must not contain control characters (tabs, newlines, ...)",
            );
            None
        } else {
            Some(t.to_owned())
        }
    }

    /// Required free text at `base/key`.
    pub(super) fn req_text(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        max: usize,
    ) -> Option<String> {
        let v = self.required(obj, base, key)?;
        self.text(v, &join(base, key), max)
    }

    /// Optional free text at `base/key`: absent, `null` and blank all mean `None`.
    /// The outer `Option` is `None` when there was an error.
    pub(super) fn opt_text(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        max: usize,
    ) -> Option<Option<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(v) => self.text(v, &join(base, key), max).map(Some),
        }
    }

    /// A required string checked by a domain parser (`Email::parse`, ...).
    pub(super) fn parsed<T>(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.required(obj, base, key)?;
        let ptr = join(base, key);
        let Value::String(s) = v else {
            self.err(&ptr, format!("expected a string, got {}", describe(v)));
            return None;
        };
        parse(s).map_err(|e| self.err(&ptr, e)).ok()
    }

    /// Like [`Walker::parsed`], but a whole number is also accepted as its digits (phone numbers
    /// sent as JSON numbers). Other types are reported without echoing the value.
    pub(super) fn parsed_digits<T>(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.required(obj, base, key)?;
        let ptr = join(base, key);
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            Value::Number(_) => "not a whole number".to_owned(),
            other => {
                self.err(&ptr, format!("expected a string, got {}", describe(other)));
                return None;
            }
        };
        parse(&text).map_err(|e| self.err(&ptr, e)).ok()
    }

    /// A required money field: an integer number of paise, 0..=[`MAX_PAISE`].
    pub(super) fn paise(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
    ) -> Option<Money> {
        let v = self.required(obj, base, key)?;
        let ptr = join(base, key);
        match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
                Some(p) if p < 0 => self.err(&ptr, format!("must not be negative, got {p}")),
                Some(p) if p <= MAX_PAISE => return Some(Money::from_paise(p)),
                _ => self.err(
                    &ptr,
                    format!("must be at most {MAX_PAISE} paise (₹100 crore), got {n}"),
                ),
            },
            other => self.err(
                &ptr,
                format!(
                    "expected an integer number of paise, got {}",
                    describe(other)
                ),
            ),
        }
        None
    }

    /// A required whole number in `min..=max`; `what` names the unit ("units").
    pub(super) fn int_in(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        (min, max): (u64, u64),
        what: &str,
    ) -> Option<u64> {
        let v = self.required(obj, base, key)?;
        let ptr = join(base, key);
        match v.as_number() {
            Some(n) if n.is_i64() || n.is_u64() => match n.as_u64() {
                Some(x) if (min..=max).contains(&x) => return Some(x),
                _ => self.err(&ptr, format!("must be between {min} and {max}, got {n}")),
            },
            _ => self.err(
                &ptr,
                format!("expected a whole number of {what}, got {}", describe(v)),
            ),
        }
        None
    }

    /// An optional positive decimal `x` with `0 < x <= max`, scaled by `scale` and rounded to
    /// a whole number of at least 1 (kg → g, cm → mm). Outer `None` on error.
    pub(super) fn opt_scaled(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        key: &str,
        (max, scale): (f64, f64),
        unit: &str,
    ) -> Option<Option<u32>> {
        let v = match obj.get(key) {
            None | Some(Value::Null) => return Some(None),
            Some(v) => v,
        };
        let ptr = join(base, key);
        let Some(x) = v.as_f64() else {
            self.err(
                &ptr,
                format!("expected a number of {unit}, got {}", describe(v)),
            );
            return None;
        };
        let scaled = (x * scale).round();
        if !(x > 0.0 && x <= max) {
            self.err(
                &ptr,
                format!("must be more than 0 and at most {max} {unit}, got {x}"),
            );
            None
        } else if scaled < 1.0 {
            self.err(
                &ptr,
                format!(
                    "is too small: the smallest accepted is {} {unit}",
                    1.0 / scale
                ),
            );
            None
        } else {
            // In range 1..=max*scale (at most 1,000,000), so the cast is exact.
            Some(Some(scaled as u32))
        }
    }
}
