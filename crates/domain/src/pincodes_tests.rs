//! Tests for the PIN code directory.

use super::*;

fn address(pin: &str, state: &str) -> Address {
    Address {
        name: "Priya Sharma".into(),
        line1: "Flat 12".into(),
        line2: None,
        city: "Pune".into(),
        state: state.into(),
        pincode: Pincode::parse(pin).unwrap(),
        country: "IN".into(),
    }
}

#[test]
fn the_embedded_directory_loads_every_row() {
    let table = all();
    assert!(table.len() > 19_000, "{}", table.len());
    assert!(table.windows(2).all(|w| w[0].pincode < w[1].pincode));
    let pune = lookup(&Pincode::parse("411001").unwrap()).unwrap();
    assert_eq!(pune.state, "MAHARASHTRA");
    assert_eq!(pune.districts, ["PUNE"]);
    let delhi = lookup(&Pincode::parse("110003").unwrap()).unwrap();
    assert_eq!(delhi.districts.len(), 3);
    let covered: std::collections::HashSet<_> = table.iter().map(|r| r.state).collect();
    for s in STATES {
        assert!(covered.contains(s), "no PIN in {s}");
    }
}

#[test]
fn bad_rows_are_skipped_not_fatal() {
    let rows = parse_csv(
        "pincode,state,districts\n411001,MAHARASHTRA,PUNE\nabc,X,Y\n012345,GOA,\n\n560001,,\n560002,NARNIA,X\n",
    );
    let pins: Vec<u32> = rows.iter().map(|r| r.pincode).collect();
    assert_eq!(pins, [411_001, 560_001]);
    assert_eq!(rows[1].state, "");
}

#[test]
fn state_names_are_understood_however_they_are_written() {
    let cases = [
        ("Maharashtra", "MAHARASHTRA"),
        ("  tamil nadu ", "TAMIL NADU"),
        ("Tamilnadu", "TAMIL NADU"),
        ("Orissa", "ODISHA"),
        ("Pondicherry", "PUDUCHERRY"),
        ("NCT of Delhi", "DELHI"),
        ("New Delhi", "DELHI"),
        ("J&K", "JAMMU AND KASHMIR"),
        ("Jammu & Kashmir", "JAMMU AND KASHMIR"),
        ("Daman and Diu", DNHDD),
        ("Dadra and Nagar Haveli", DNHDD),
        ("Dadra and Nagar Haveli and Daman and Diu", DNHDD),
        ("Andaman & Nicobar", "ANDAMAN AND NICOBAR ISLANDS"),
        ("UP", "UTTAR PRADESH"),
        ("mp", "MADHYA PRADESH"),
        ("T.N.", "TAMIL NADU"),
        ("Uttaranchal", "UTTARAKHAND"),
    ];
    for (raw, want) in cases {
        assert_eq!(canonical_state(raw), Some(want), "{raw:?}");
    }
    for unknown in ["", "  ", "Narnia", "XX", "Maharashtra Pune"] {
        assert_eq!(canonical_state(unknown), None, "{unknown:?}");
    }
}

#[test]
fn a_pin_in_its_own_state_passes_the_address_check() {
    assert_eq!(check_address(&address("411001", "Maharashtra")), None);
    assert_eq!(check_address(&address("110001", "New Delhi")), None);
}

#[test]
fn a_pin_missing_from_the_directory_is_reported() {
    let why = check_address(&address("999999", "Maharashtra")).unwrap();
    assert_eq!(why, "PIN 999999 does not exist in the India Post directory");
}

#[test]
fn a_pin_in_another_state_is_reported_with_both_states() {
    let why = check_address(&address("411001", "Karnataka")).unwrap();
    assert_eq!(
        why,
        "PIN 411001 is in MAHARASHTRA, but the address says Karnataka"
    );
    assert!(check_address(&address("411001", "Narnia")).is_some());
}

#[test]
fn a_pin_without_a_state_in_the_directory_is_only_checked_for_existence() {
    let row = all().iter().find(|r| r.state.is_empty()).unwrap();
    let pin = row.pincode.to_string();
    assert_eq!(check_address(&address(&pin, "Anything")), None);
}
