//! Turning the one search box's text into exact matches on indexed columns: order number (as typed
//! and upper-cased), email (lower-cased), phone (any common spelling, normalised to 10 digits), AWB.

use orderly_domain::{Email, Phone};
use orderly_store::orders::Search;

/// Classifies `q`; `None` when it is blank.
pub fn classify(q: &str) -> Option<Search> {
    let text = q.trim();
    if text.is_empty() {
        return None;
    }
    if text.contains('@') {
        let email = Email::parse(text)
            .map(|e| e.as_str().to_string())
            .unwrap_or_else(|_| text.to_lowercase());
        return Some(Search {
            email: Some(email),
            ..Search::default()
        });
    }
    let mut order_numbers = vec![text.to_string()];
    let upper = text.to_uppercase();
    if upper != text {
        order_numbers.push(upper.clone());
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Some(Search {
        order_numbers,
        email: None,
        phone: Phone::parse(text).ok().map(|p| p.as_str().to_string()),
        awb: Some(compact.to_uppercase()).filter(|a| a.chars().all(|c| c.is_ascii_alphanumeric())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_matched_in_lower_case_only_as_email() {
        let s = classify("  Priya.Sharma@Example.IN ").unwrap();
        assert_eq!(s.email.as_deref(), Some("priya.sharma@example.in"));
        assert!(s.order_numbers.is_empty() && s.phone.is_none() && s.awb.is_none());
    }

    #[test]
    fn a_phone_in_any_spelling_becomes_ten_digits() {
        for spelling in [
            "+91 98765 43210",
            "098765-43210",
            "9876543210",
            "+91-9876543210",
        ] {
            assert_eq!(
                classify(spelling).unwrap().phone.as_deref(),
                Some("9876543210"),
                "{spelling}"
            );
        }
    }

    #[test]
    fn an_order_number_is_tried_as_typed_and_upper_cased() {
        let s = classify("ord-0001234").unwrap();
        assert_eq!(
            s.order_numbers,
            vec!["ord-0001234".to_string(), "ORD-0001234".to_string()]
        );
        assert!(s.phone.is_none());
    }

    #[test]
    fn blank_text_is_no_search() {
        assert!(classify("   ").is_none());
    }
}
