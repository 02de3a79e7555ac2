//! The India-wide PIN table (built once from `assets/india-pincodes.csv`) and Shiprocket-style zones.

use std::collections::HashMap;
use std::sync::OnceLock;

const CSV: &str = include_str!("../../../assets/india-pincodes.csv");

/// What the simulator knows about one real PIN.
#[derive(Debug, Clone, Copy)]
pub struct PinInfo {
    /// Upper-case state name (inferred from the 3-digit prefix when the CSV row has none).
    pub state: &'static str,
    /// `;`-separated upper-case district names.
    pub districts: &'static str,
}

impl PinInfo {
    /// The first district, title-cased, used as a city name in responses and scans.
    pub fn city(&self) -> String {
        title_case(self.districts.split(';').next().unwrap_or(self.state))
    }

    fn shares_district(&self, other: &PinInfo) -> bool {
        self.districts
            .split(';')
            .any(|d| !d.is_empty() && other.districts.split(';').any(|o| o == d))
    }

    fn is_metro(&self) -> bool {
        self.state == "DELHI"
            || self
                .districts
                .split(';')
                .any(|d| METRO_DISTRICTS.contains(&d))
    }

    fn is_special(&self) -> bool {
        SPECIAL_STATES.contains(&self.state)
    }
}

const METRO_DISTRICTS: [&str; 8] = [
    "MUMBAI",
    "MUMBAI SUBURBAN",
    "KOLKATA",
    "CHENNAI",
    "BENGALURU URBAN",
    "HYDERABAD",
    "AHMADABAD",
    "PUNE",
];

const SPECIAL_STATES: [&str; 12] = [
    "ASSAM",
    "ARUNACHAL PRADESH",
    "MANIPUR",
    "MEGHALAYA",
    "MIZORAM",
    "NAGALAND",
    "SIKKIM",
    "TRIPURA",
    "JAMMU AND KASHMIR",
    "LADAKH",
    "ANDAMAN AND NICOBAR ISLANDS",
    "LAKSHADWEEP",
];

/// Shiprocket's rate zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    /// Same city / district.
    Local,
    /// Same state.
    Regional,
    /// Between metro cities.
    Metro,
    /// Rest of India.
    RestOfIndia,
    /// North-east, J&K, Ladakh, Andaman & Nicobar, Lakshadweep.
    Special,
}

impl Zone {
    /// The zone code Shiprocket prints ("z_a" .. "z_e").
    pub fn code(self) -> &'static str {
        match self {
            Zone::Local => "z_a",
            Zone::Regional => "z_b",
            Zone::Metro => "z_c",
            Zone::RestOfIndia => "z_d",
            Zone::Special => "z_e",
        }
    }

    /// Index into per-zone tables (0..5).
    pub fn index(self) -> usize {
        match self {
            Zone::Local => 0,
            Zone::Regional => 1,
            Zone::Metro => 2,
            Zone::RestOfIndia => 3,
            Zone::Special => 4,
        }
    }
}

/// The zone between two known PINs.
pub fn zone(from: &PinInfo, to: &PinInfo) -> Zone {
    if from.shares_district(to) {
        Zone::Local
    } else if from.state == to.state {
        Zone::Regional
    } else if from.is_special() || to.is_special() {
        Zone::Special
    } else if from.is_metro() && to.is_metro() {
        Zone::Metro
    } else {
        Zone::RestOfIndia
    }
}

fn table() -> &'static HashMap<&'static str, PinInfo> {
    static TABLE: OnceLock<HashMap<&'static str, PinInfo>> = OnceLock::new();
    TABLE.get_or_init(build)
}

fn build() -> HashMap<&'static str, PinInfo> {
    let mut rows: Vec<(&'static str, &'static str, &'static str)> = Vec::with_capacity(20_000);
    for line in CSV.lines().skip(1) {
        let mut cols = line.splitn(3, ',');
        let (Some(pin), Some(state), districts) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
            rows.push((pin, state.trim(), districts.unwrap_or("").trim()));
        }
    }
    // Majority state per 3-digit prefix, for the rows whose state is empty.
    let mut votes: HashMap<&str, HashMap<&'static str, usize>> = HashMap::new();
    for (pin, state, _) in &rows {
        if !state.is_empty() {
            *votes
                .entry(&pin[..3])
                .or_default()
                .entry(state)
                .or_default() += 1;
        }
    }
    let majority = |pin: &str| -> &'static str {
        votes
            .get(&pin[..3])
            .and_then(|v| v.iter().max_by_key(|(s, n)| (**n, **s)).map(|(s, _)| *s))
            .unwrap_or("")
    };
    rows.iter()
        .map(|&(pin, state, districts)| {
            let state = if state.is_empty() {
                majority(pin)
            } else {
                state
            };
            (pin, PinInfo { state, districts })
        })
        .collect()
}

/// Looks a PIN up in the table of real PINs.
pub fn lookup(pin: &str) -> Option<PinInfo> {
    table().get(pin).copied()
}

/// Number of PINs in the table.
#[cfg(test)]
pub fn pin_count() -> usize {
    table().len()
}

/// The built-in deterministic ~2 % of real PINs that no courier serves (never a head post office,
/// i.e. never a PIN ending in "001"). Independent of the seed, so tests can rely on it.
pub fn builtin_unserviceable(pin: &str) -> bool {
    if pin.ends_with("001") {
        return false;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pin.bytes().chain(*b"orderly-sim") {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 1000 < 20
}

/// Title-cases an upper-case name ("NEW DELHI" → "New Delhi").
pub fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_every_real_pin_and_fills_missing_states() {
        assert!(pin_count() > 19_000);
        assert!(table().values().all(|p| !p.state.is_empty()));
    }

    #[test]
    fn zones_follow_district_state_metro_and_special_rules() {
        let z = |a: &str, b: &str| zone(&lookup(a).unwrap(), &lookup(b).unwrap());
        assert_eq!(z("110020", "110030"), Zone::Local);
        assert_eq!(z("400001", "411001"), Zone::Regional);
        assert_eq!(z("110020", "400001"), Zone::Metro);
        assert_eq!(z("110020", "175019"), Zone::RestOfIndia);
        assert_eq!(z("110020", "781001"), Zone::Special);
        assert_eq!(z("560001", "190001"), Zone::Special);
    }

    #[test]
    fn about_two_percent_of_pins_are_unserviceable_but_no_well_known_ones() {
        let n = table().keys().filter(|p| builtin_unserviceable(p)).count();
        let share = n as f64 / pin_count() as f64;
        assert!((0.01..0.03).contains(&share), "share {share}");
        for pin in [
            "110020", "110030", "122002", "175019", "560034", "400070", "411014", "781005",
        ] {
            assert!(!builtin_unserviceable(pin), "{pin}");
        }
    }
}
