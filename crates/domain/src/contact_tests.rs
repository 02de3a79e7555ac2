//! Tests for the contact newtypes.

use super::*;

#[test]
fn ten_spellings_of_one_mobile_number_normalise_to_ten_digits() {
    let spellings = [
        "9876543210",
        "+91 98765 43210",
        "+91-98765-43210",
        "0 98765 43210",
        "098765-43210",
        "91 9876543210",
        "919876543210",
        "(+91) 98765 43210",
        "98765.43210",
        "+91 (987) 654-3210",
        "  +919876543210  ",
        "0091 98765 43210",
        "+91 0 98765 43210",
    ];
    for s in spellings {
        let p = Phone::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(p.as_str(), "9876543210", "{s:?}");
        assert_eq!(p.display_e164(), "+919876543210");
    }
}

#[test]
fn phone_numbers_that_are_not_indian_mobiles_are_rejected() {
    let bad = [
        ("", "found 0 digits"),
        ("12345", "found 5 digits"),
        ("5876543210", "start with 6, 7, 8 or 9"),
        ("0123456789", "start with 6, 7, 8 or 9"),
        ("+1 415 555 0100", "only Indian"),
        ("98765 4321x", "only digits"),
        ("98765432101", "found 11 digits"),
        ("९८७६५४३२१०", "only digits"),
        ("+91 98765 4321", "found 9 digits"),
    ];
    for (s, why) in bad {
        let err = Phone::parse(s).expect_err(s);
        assert!(err.contains(why), "{s:?}: {err}");
        assert!(!err.contains("98765"), "error echoes the number: {err}");
    }
}

#[test]
fn phone_debug_hides_all_but_the_last_four_digits() {
    let p = Phone::parse("+91 98765 43210").unwrap();
    assert_eq!(format!("{p:?}"), "Phone(\"******3210\")");
    assert_eq!(p.to_string(), "9876543210");
}

#[test]
fn emails_are_trimmed_and_lowercased() {
    let e = Email::parse("  Priya.Sharma@Example.IN ").unwrap();
    assert_eq!(e.as_str(), "priya.sharma@example.in");
    assert_eq!(format!("{e:?}"), "Email(\"p***@example.in\")");
}

#[test]
fn malformed_emails_are_rejected_with_a_reason() {
    let long = format!("{}@example.com", "a".repeat(250));
    let bad = [
        ("", "empty"),
        ("priya", "exactly one '@'"),
        ("a@b@example.com", "exactly one '@'"),
        ("@example.com", "nothing before"),
        ("priya@localhost", "dot"),
        ("priya@example..com", "empty part"),
        ("priya sharma@example.com", "spaces"),
        (long.as_str(), "longer than 254"),
    ];
    for (s, why) in bad {
        let err = Email::parse(s).expect_err(s);
        assert!(err.contains(why), "{s:?}: {err}");
    }
}

#[test]
fn pincodes_are_six_digits_not_starting_with_zero() {
    assert_eq!(Pincode::parse("411001").unwrap().as_u32(), 411_001);
    assert_eq!(Pincode::parse(" 411 001 ").unwrap().as_str(), "411001");
    assert_eq!(Pincode::from_u32(110_001).unwrap().as_str(), "110001");
    for bad in [
        "",
        "41100",
        "4110011",
        "011001",
        "41100a",
        "४११००१",
        "-41100",
    ] {
        assert!(Pincode::parse(bad).is_err(), "{bad:?}");
    }
    for bad in [0, 99_999, 1_000_000, 11_001] {
        assert!(Pincode::from_u32(bad).is_err(), "{bad}");
    }
}

#[test]
fn contacts_serialise_as_strings_and_validate_when_deserialised() {
    let p: Phone = serde_json::from_str("\"+91 98765 43210\"").unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), "\"9876543210\"");
    let pin: Pincode = serde_json::from_str("411001").unwrap();
    assert_eq!(serde_json::to_string(&pin).unwrap(), "\"411001\"");
    assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    assert!(serde_json::from_str::<Pincode>("\"011001\"").is_err());
}
