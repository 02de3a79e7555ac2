//! The India Post PIN code directory, embedded at compile time, and address plausibility checks.
//!
//! Source: `assets/india-pincodes.csv` (`pincode,state,districts`, districts `;`-separated; some
//! rows have an empty state). Parsed once, lazily; malformed rows are skipped, never a panic.

use crate::contact::Pincode;
use crate::order::Address;
use std::sync::OnceLock;

const CSV: &str = include_str!("../../../assets/india-pincodes.csv");

/// What the directory knows about one PIN code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PincodeInfo {
    /// The PIN code.
    pub pincode: u32,
    /// Canonical state name in capitals (`"MAHARASHTRA"`), or `""` when the directory has none.
    pub state: &'static str,
    /// District names in capitals, as the directory lists them.
    pub districts: Vec<&'static str>,
}

/// Every PIN code in the directory, sorted by number.
#[must_use]
pub fn all() -> &'static [PincodeInfo] {
    static TABLE: OnceLock<Vec<PincodeInfo>> = OnceLock::new();
    TABLE.get_or_init(|| parse_csv(CSV))
}

/// The directory entry for `pin`, if it exists.
#[must_use]
pub fn lookup(pin: &Pincode) -> Option<&'static PincodeInfo> {
    let table = all();
    let n = pin.as_u32();
    table
        .binary_search_by_key(&n, |i| i.pincode)
        .ok()
        .and_then(|idx| table.get(idx))
}

fn parse_csv(text: &'static str) -> Vec<PincodeInfo> {
    let mut rows: Vec<PincodeInfo> = text
        .lines()
        .filter_map(|line| {
            let mut cols = line.trim_end_matches('\r').splitn(3, ',');
            let pin = cols.next()?.trim();
            let state = cols.next()?.trim();
            let districts = cols.next().unwrap_or("");
            let pincode = Pincode::parse(pin).ok()?.as_u32();
            let state = if state.is_empty() {
                ""
            } else if let Some(exact) = STATES.iter().find(|s| **s == state) {
                exact
            } else {
                canonical_state(state)?
            };
            let districts = districts
                .split(';')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .collect();
            Some(PincodeInfo {
                pincode,
                state,
                districts,
            })
        })
        .collect();
    rows.sort_by_key(|r| r.pincode);
    rows.dedup_by_key(|r| r.pincode);
    rows
}

/// States and union territories as the directory spells them.
pub const STATES: [&str; 36] = [
    "ANDAMAN AND NICOBAR ISLANDS",
    "ANDHRA PRADESH",
    "ARUNACHAL PRADESH",
    "ASSAM",
    "BIHAR",
    "CHANDIGARH",
    "CHHATTISGARH",
    "DELHI",
    "GOA",
    "GUJARAT",
    "HARYANA",
    "HIMACHAL PRADESH",
    "JAMMU AND KASHMIR",
    "JHARKHAND",
    "KARNATAKA",
    "KERALA",
    "LADAKH",
    "LAKSHADWEEP",
    "MADHYA PRADESH",
    "MAHARASHTRA",
    "MANIPUR",
    "MEGHALAYA",
    "MIZORAM",
    "NAGALAND",
    "ODISHA",
    "PUDUCHERRY",
    "PUNJAB",
    "RAJASTHAN",
    "SIKKIM",
    "TAMIL NADU",
    "TELANGANA",
    "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU",
    "TRIPURA",
    "UTTAR PRADESH",
    "UTTARAKHAND",
    "WEST BENGAL",
];

const DNHDD: &str = "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU";

/// Other spellings, already folded by `fold` (capitals and digits only, `&` read as AND).
const ALIASES: &[(&str, &str)] = &[
    ("ORISSA", "ODISHA"),
    ("PONDICHERRY", "PUDUCHERRY"),
    ("NCTOFDELHI", "DELHI"),
    ("NEWDELHI", "DELHI"),
    ("DELHINCT", "DELHI"),
    ("NATIONALCAPITALTERRITORYOFDELHI", "DELHI"),
    ("JANDK", "JAMMU AND KASHMIR"),
    ("DAMANANDDIU", DNHDD),
    ("DADRAANDNAGARHAVELI", DNHDD),
    ("DADRAANDNAGARHAVELIANDDAMANANDDIU", DNHDD),
    ("DNHANDDD", DNHDD),
    ("ANDAMANANDNICOBAR", "ANDAMAN AND NICOBAR ISLANDS"),
    ("ANDAMANANDNICOBARISLAND", "ANDAMAN AND NICOBAR ISLANDS"),
    ("AANDNISLANDS", "ANDAMAN AND NICOBAR ISLANDS"),
    ("UTTARANCHAL", "UTTARAKHAND"),
    ("CHATTISGARH", "CHHATTISGARH"),
    ("CHHATISGARH", "CHHATTISGARH"),
    ("TELENGANA", "TELANGANA"),
    ("MAHARASTRA", "MAHARASHTRA"),
    // Two-letter codes (ISO 3166-2:IN and vehicle registration).
    ("AN", "ANDAMAN AND NICOBAR ISLANDS"),
    ("AP", "ANDHRA PRADESH"),
    ("AR", "ARUNACHAL PRADESH"),
    ("AS", "ASSAM"),
    ("BR", "BIHAR"),
    ("CH", "CHANDIGARH"),
    ("CG", "CHHATTISGARH"),
    ("CT", "CHHATTISGARH"),
    ("DL", "DELHI"),
    ("DN", DNHDD),
    ("DD", DNHDD),
    ("DH", DNHDD),
    ("GA", "GOA"),
    ("GJ", "GUJARAT"),
    ("HR", "HARYANA"),
    ("HP", "HIMACHAL PRADESH"),
    ("JK", "JAMMU AND KASHMIR"),
    ("JH", "JHARKHAND"),
    ("KA", "KARNATAKA"),
    ("KL", "KERALA"),
    ("LA", "LADAKH"),
    ("LD", "LAKSHADWEEP"),
    ("MP", "MADHYA PRADESH"),
    ("MH", "MAHARASHTRA"),
    ("MN", "MANIPUR"),
    ("ML", "MEGHALAYA"),
    ("MZ", "MIZORAM"),
    ("NL", "NAGALAND"),
    ("OD", "ODISHA"),
    ("OR", "ODISHA"),
    ("PY", "PUDUCHERRY"),
    ("PB", "PUNJAB"),
    ("RJ", "RAJASTHAN"),
    ("SK", "SIKKIM"),
    ("TN", "TAMIL NADU"),
    ("TS", "TELANGANA"),
    ("TG", "TELANGANA"),
    ("TR", "TRIPURA"),
    ("UP", "UTTAR PRADESH"),
    ("UK", "UTTARAKHAND"),
    ("UT", "UTTARAKHAND"),
    ("WB", "WEST BENGAL"),
];

/// Capitals and ASCII digits only, with `&` read as `AND`: `"Jammu & Kashmir"` → `JAMMUANDKASHMIR`.
fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c == '&' {
            out.push_str("AND");
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

/// The directory's spelling of a state or union territory written any common way: case, spaces
/// and punctuation are ignored, and old names, abbreviations and 2-letter codes are understood
/// (`"Orissa"` → `ODISHA`, `"J&K"` → `JAMMU AND KASHMIR`, `"tn"` → `TAMIL NADU`).
#[must_use]
pub fn canonical_state(name: &str) -> Option<&'static str> {
    let folded = fold(name);
    if folded.is_empty() {
        return None;
    }
    let folded = folded.strip_prefix("STATEOF").unwrap_or(&folded);
    names()
        .iter()
        .find(|(f, _)| f == folded)
        .map(|(_, canonical)| *canonical)
}

/// Every folded spelling `canonical_state` understands, with its canonical name; built once.
fn names() -> &'static [(String, &'static str)] {
    static NAMES: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<(String, &'static str)> =
            Vec::with_capacity(STATES.len() * 2 + ALIASES.len());
        for s in STATES {
            let f = fold(s);
            if let Some(rest) = f.strip_prefix("THE") {
                v.push((rest.to_owned(), s));
            }
            v.push((f, s));
        }
        v.extend(ALIASES.iter().map(|(a, c)| ((*a).to_owned(), *c)));
        v
    })
}

/// `None` when the address's PIN exists and lies in the state it names; otherwise a reason an
/// ops person can act on. A PIN whose directory row has no state is only checked for existence.
#[must_use]
pub fn check_address(addr: &Address) -> Option<String> {
    let pin = addr.pincode.as_str();
    let Some(info) = lookup(&addr.pincode) else {
        return Some(format!(
            "PIN {pin} does not exist in the India Post directory"
        ));
    };
    if info.state.is_empty() || canonical_state(&addr.state) == Some(info.state) {
        return None;
    }
    Some(format!(
        "PIN {pin} is in {}, but the address says {}",
        info.state,
        addr.state.trim()
    ))
}

#[cfg(test)]
#[path = "pincodes_tests.rs"]
mod tests;
