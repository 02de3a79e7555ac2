//! Tolerant scalar decoding: Shiprocket sends numbers as strings, booleans as 0/1/"true", and `""` for null.
//!
//! Each `de_*` function is a `#[serde(deserialize_with = "...")]` helper. They never fail on a
//! loosely typed value; a value that cannot be read as the wanted type becomes `None` (or the default).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads an integer from a number (integral float allowed), a digit string, or returns `None`
/// for null, `""`, `"NA"` and anything else.
pub fn value_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
        }
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// Reads a float from a number or a numeric string (`"0.30"`, `"9000.00"`).
pub fn value_to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Reads a boolean from `true`/`false`, `0`/`1`, `"true"`/`"false"`, `"1"`/`"0"`, `"yes"`/`"no"`.
pub fn value_to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" => Some(true),
            "false" | "0" | "no" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a string; numbers become their decimal text; null, `""` and `"NA"`-free blanks become `None`.
pub fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `deserialize_with` helper: optional 64-bit id or count.
pub fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?))
}

/// `deserialize_with` helper: 64-bit integer, 0 when absent or unreadable.
pub fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?).unwrap_or(0))
}

/// `deserialize_with` helper: optional small unsigned number (days, counts).
pub fn de_opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?).and_then(|n| u32::try_from(n).ok()))
}

/// `deserialize_with` helper: optional float (money, weight, rating).
pub fn de_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(value_to_f64(&Value::deserialize(d)?))
}

/// `deserialize_with` helper: float, 0.0 when absent or unreadable.
pub fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(value_to_f64(&Value::deserialize(d)?).unwrap_or(0.0))
}

/// `deserialize_with` helper: boolean, `false` when absent or unreadable.
pub fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(value_to_bool(&Value::deserialize(d)?).unwrap_or(false))
}

/// `deserialize_with` helper: optional string (`""` and null become `None`, numbers become text).
pub fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?))
}

/// `deserialize_with` helper: string, empty when absent, null or not a scalar.
pub fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_read_from_numbers_strings_and_floats() {
        assert_eq!(value_to_i64(&json!(1499133560_i64)), Some(1_499_133_560));
        assert_eq!(value_to_i64(&json!("16090281")), Some(16_090_281));
        assert_eq!(value_to_i64(&json!(5_000_000_000_i64)), Some(5_000_000_000));
        assert_eq!(value_to_i64(&json!(42.0)), Some(42));
        assert_eq!(value_to_i64(&json!("")), None);
        assert_eq!(value_to_i64(&json!(null)), None);
        assert_eq!(value_to_i64(&json!("NA")), None);
    }

    #[test]
    fn weights_and_money_are_read_from_strings() {
        assert_eq!(value_to_f64(&json!("0.30")), Some(0.30));
        assert_eq!(value_to_f64(&json!("9000.00")), Some(9000.0));
        assert_eq!(value_to_f64(&json!(123.9)), Some(123.9));
        assert_eq!(value_to_f64(&json!("")), None);
    }

    #[test]
    fn booleans_accept_every_documented_spelling() {
        for t in [
            json!(true),
            json!(1),
            json!("true"),
            json!("1"),
            json!("TRUE"),
        ] {
            assert_eq!(value_to_bool(&t), Some(true), "{t}");
        }
        for f in [json!(false), json!(0), json!("false"), json!("0")] {
            assert_eq!(value_to_bool(&f), Some(false), "{f}");
        }
        assert_eq!(value_to_bool(&json!(null)), None);
    }

    #[test]
    fn empty_strings_are_null() {
        assert_eq!(value_to_string(&json!("")), None);
        assert_eq!(value_to_string(&json!(142)), Some("142".to_owned()));
        assert_eq!(value_to_string(&json!("awb")), Some("awb".to_owned()));
    }
}
