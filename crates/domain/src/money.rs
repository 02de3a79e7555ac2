//! Money as integer paise (1 rupee = 100 paise); never a float.

use serde::{Deserialize, Serialize};

/// An amount of Indian rupees held as a whole number of paise.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// Zero paise.
    pub const ZERO: Money = Money(0);

    /// An amount of `paise`.
    #[must_use]
    pub const fn from_paise(paise: i64) -> Money {
        Money(paise)
    }

    /// The amount in paise.
    #[must_use]
    pub const fn paise(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    #[must_use]
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self * factor`, or `None` on overflow.
    #[must_use]
    pub fn checked_mul(self, factor: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(factor)).map(Money)
    }

    /// `self + other`, clamped to the `i64` range.
    #[must_use]
    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// Rupees with Indian digit grouping (lakh, crore): 12345678 paise is `"₹1,23,456.78"`,
    /// -500 paise is `"-₹5.00"`.
    #[must_use]
    pub fn format_inr(self) -> String {
        let abs = self.0.unsigned_abs();
        let rupees = (abs / 100).to_string();
        let paise = abs % 100;
        let mut out = String::with_capacity(rupees.len() + 8);
        if self.0 < 0 {
            out.push('-');
        }
        out.push('₹');
        out.push_str(&group_indian(&rupees));
        out.push('.');
        if paise < 10 {
            out.push('0');
        }
        out.push_str(&paise.to_string());
        out
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format_inr())
    }
}

/// Groups a string of ASCII digits the Indian way: the last three, then pairs (`1,23,45,678`).
fn group_indian(digits: &str) -> String {
    if digits.len() <= 3 {
        return digits.to_owned();
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut out = String::with_capacity(digits.len() + digits.len() / 2);
    let first = head.len() % 2;
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (i + 2 - first) % 2 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push(',');
    out.push_str(last3);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_in_lakhs_and_crores() {
        let cases = [
            (0, "₹0.00"),
            (5, "₹0.05"),
            (99_900, "₹999.00"),
            (100_000, "₹1,000.00"),
            (1_234_567, "₹12,345.67"),
            (12_345_678, "₹1,23,456.78"),
            (123_456_789, "₹12,34,567.89"),
            (1_000_000_000, "₹1,00,00,000.00"),
            (-500, "-₹5.00"),
            (-12_345_678, "-₹1,23,456.78"),
        ];
        for (paise, want) in cases {
            assert_eq!(Money::from_paise(paise).format_inr(), want, "{paise}");
        }
    }

    #[test]
    fn the_most_negative_amount_formats_without_overflow() {
        assert_eq!(
            Money::from_paise(i64::MIN).format_inr(),
            "-₹92,23,37,20,36,85,47,758.08"
        );
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let max = Money::from_paise(i64::MAX);
        assert_eq!(max.checked_add(Money::from_paise(1)), None);
        assert_eq!(
            Money::from_paise(i64::MIN).checked_sub(Money::from_paise(1)),
            None
        );
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(
            Money::from_paise(250).checked_mul(3),
            Some(Money::from_paise(750))
        );
        assert_eq!(
            Money::from_paise(250).checked_sub(Money::from_paise(300)),
            Some(Money::from_paise(-50))
        );
    }

    #[test]
    fn money_serialises_as_a_bare_integer() {
        assert_eq!(
            serde_json::to_string(&Money::from_paise(4900)).unwrap(),
            "4900"
        );
        let back: Money = serde_json::from_str("4900").unwrap();
        assert_eq!(back, Money::from_paise(4900));
    }
}
