//! Validated contact details: [`Email`], [`Phone`] (Indian mobile) and [`Pincode`].
//!
//! Each is parsed once at the edge and is valid by construction. Error strings are written for a
//! person who can fix the input, and never repeat a phone number or email in full.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest email address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// A trimmed, lowercased email address with one `@`, a non-empty local part and a dotted domain.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an email address.
    ///
    /// # Errors
    /// A message saying what is wrong with the address.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("email address is empty".into());
        }
        if s.chars().count() > EMAIL_MAX_LEN {
            return Err(format!(
                "email address is longer than {EMAIL_MAX_LEN} characters"
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("email address must not contain spaces or control characters".into());
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err("email address must contain exactly one '@'".into());
        };
        if local.is_empty() {
            return Err("email address has nothing before the '@'".into());
        }
        if !domain.contains('.') {
            return Err("email address domain must contain a dot, like example.com".into());
        }
        if domain.split('.').any(str::is_empty) {
            return Err("email address domain has an empty part (check the dots)".into());
        }
        Ok(Email(s))
    }

    /// The normalised address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first = local.chars().next().unwrap_or('*');
        write!(f, "Email(\"{first}***@{domain}\")")
    }
}

/// A 10-digit Indian mobile number starting with 6, 7, 8 or 9.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses an Indian mobile number written in any common way: `+91 98765 43210`,
    /// `098765-43210`, `(+91) 98765 43210`, `98765.43210`, `919876543210`, `0091 98765 43210`...
    ///
    /// Spaces, dashes, dots and parentheses are removed; then a leading `+91`, `0091` (14 digits),
    /// `91` (12 digits) or `0` (11 digits) is removed. What is left must be 10 digits starting 6-9.
    ///
    /// # Errors
    /// A message saying what is wrong (without echoing the number).
    pub fn parse(raw: &str) -> Result<Phone, String> {
        let trimmed = raw.trim();
        let (plus, rest) = match trimmed.strip_prefix("(+") {
            Some(r) => (true, r),
            None => match trimmed.strip_prefix('+') {
                Some(r) => (true, r),
                None => (false, trimmed),
            },
        };
        let mut digits = String::with_capacity(14);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => {
                    return Err(
                        "phone number may contain only digits, spaces, dashes, dots, parentheses and a leading +"
                            .into(),
                    );
                }
            }
        }
        let national = if plus {
            match digits.strip_prefix("91") {
                Some(n) => n.strip_prefix('0').filter(|n| n.len() == 10).unwrap_or(n),
                None => return Err("only Indian (+91) mobile numbers are accepted".into()),
            }
        } else {
            match digits.len() {
                14 if digits.starts_with("0091") => &digits[4..],
                12 if digits.starts_with("91") => &digits[2..],
                11 if digits.starts_with('0') => &digits[1..],
                _ => &digits[..],
            }
        };
        if national.len() != 10 {
            return Err(format!(
                "phone number must be a 10-digit Indian mobile number (found {} digits)",
                national.len()
            ));
        }
        if !national.starts_with(['6', '7', '8', '9']) {
            return Err("Indian mobile numbers start with 6, 7, 8 or 9".into());
        }
        Ok(Phone(national.to_owned()))
    }

    /// The 10 national digits, e.g. `9876543210`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form, e.g. `+919876543210`.
    #[must_use]
    pub fn display_e164(&self) -> String {
        format!("+91{}", self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = self.0.get(6..).unwrap_or("");
        write!(f, "Phone(\"******{tail}\")")
    }
}

/// An Indian postal index number: 6 ASCII digits, the first not 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pincode(String);

impl Pincode {
    /// Parses a PIN code; surrounding whitespace and one inner space (`411 001`) are allowed.
    ///
    /// # Errors
    /// A message saying what is wrong with the PIN.
    pub fn parse(raw: &str) -> Result<Pincode, String> {
        let s: String = raw.trim().chars().filter(|c| *c != ' ').collect();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err("PIN code must be exactly 6 digits".into());
        }
        if s.starts_with('0') {
            return Err("PIN code cannot start with 0".into());
        }
        Ok(Pincode(s))
    }

    /// A PIN code from its number (100000..=999999).
    ///
    /// # Errors
    /// A message when the number is not a 6-digit PIN code.
    pub fn from_u32(pin: u32) -> Result<Pincode, String> {
        if (100_000..=999_999).contains(&pin) {
            Ok(Pincode(pin.to_string()))
        } else {
            Err("PIN code must be a 6-digit number that does not start with 0".into())
        }
    }

    /// The six digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PIN as a number.
    #[must_use]
    pub fn as_u32(&self) -> u32 {
        self.0
            .bytes()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    }
}

macro_rules! string_newtype_traits {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = StrOrNumber::deserialize(d)?;
                $t::parse(&raw.0).map_err(serde::de::Error::custom)
            }
        }
    };
}
string_newtype_traits!(Email);
string_newtype_traits!(Phone);
string_newtype_traits!(Pincode);

/// A string, or a non-negative integer taken as its decimal digits (PIN codes and phones arrive as both).
struct StrOrNumber(String);

impl<'de> Deserialize<'de> for StrOrNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StrOrNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StrOrNumber, E> {
                Ok(StrOrNumber(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StrOrNumber, E> {
                Ok(StrOrNumber(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
