//! Places: real PIN codes from the India Post directory, weighted toward the big metros but
//! covering every state, with the city and state that PIN lies in; plausible street lines.

use crate::pick;
use crate::rng::SynthRng;
use orderly_domain::Pincode;
use orderly_domain::pincodes;
use std::collections::BTreeMap;

/// A deliverable PIN with display names derived from the directory.
#[derive(Debug)]
pub(crate) struct Place {
    pub(crate) pincode: Pincode,
    /// The directory's state name, e.g. `TAMIL NADU`.
    pub(crate) state_key: &'static str,
    /// Title-cased state, e.g. `Tamil Nadu`.
    pub(crate) state: String,
    /// Title-cased first district, used as the city.
    pub(crate) city: String,
}

/// Every usable PIN, the metro subset and the PINs of each state, built once.
#[derive(Debug)]
pub(crate) struct Places {
    all: Vec<Place>,
    metro: Vec<usize>,
    by_state: Vec<Vec<usize>>,
}

/// PIN prefixes of the eight big metros: Delhi, Mumbai, Bengaluru, Chennai, Kolkata, Hyderabad,
/// Pune, Ahmedabad.
const METRO_PREFIXES: [u32; 8] = [110, 400, 560, 600, 700, 500, 411, 380];

impl Places {
    pub(crate) fn build() -> Places {
        let all: Vec<Place> = pincodes::all()
            .iter()
            .filter(|i| !i.state.is_empty())
            .filter_map(|i| {
                let district = i.districts.first()?;
                Some(Place {
                    pincode: Pincode::from_u32(i.pincode).ok()?,
                    state_key: i.state,
                    state: title_case(i.state),
                    city: title_case(district),
                })
            })
            .collect();
        let metro = (0..all.len())
            .filter(|&k| {
                all.get(k)
                    .is_some_and(|p| METRO_PREFIXES.contains(&(p.pincode.as_u32() / 1000)))
            })
            .collect();
        let mut states: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (k, p) in all.iter().enumerate() {
            states.entry(p.state_key).or_default().push(k);
        }
        Places {
            all,
            metro,
            by_state: states.into_values().collect(),
        }
    }

    /// A PIN: 45 % from a metro, 40 % uniformly from the directory, 15 % from a uniformly
    /// chosen state (so the smallest union territories still appear).
    pub(crate) fn pick<'a>(&'a self, rng: &mut SynthRng) -> Option<&'a Place> {
        let roll = rng.below(100);
        let idx = match roll {
            0..=44 if !self.metro.is_empty() => *pick(rng, &self.metro),
            _ if roll >= 85 && !self.by_state.is_empty() => {
                let state = pick(rng, &self.by_state);
                *pick(rng, state)
            }
            _ => rng.index(self.all.len()),
        };
        self.all.get(idx)
    }

    /// How many states have at least one usable PIN.
    #[cfg(test)]
    pub(crate) fn state_count(&self) -> usize {
        self.by_state.len()
    }
}

/// `BENGALURU URBAN` → `Bengaluru Urban`; `AND`/`OF`/`THE` inside a name stay lowercase.
fn title_case(upper: &str) -> String {
    let mut out = String::with_capacity(upper.len());
    for (i, word) in upper.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        if i > 0 && matches!(lower.as_str(), "and" | "of" | "the") {
            out.push_str(&lower);
            continue;
        }
        let mut chars = lower.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

const BUILDINGS: [&str; 12] = [
    "Lotus Apartments",
    "Sai Krupa Residency",
    "Green Valley Society",
    "Shanti Niketan",
    "Lakeside Towers",
    "Gokul Dham",
    "Sunrise Heights",
    "Royal Palms",
    "Ganga Enclave",
    "Silver Oak Residency",
    "Annapurna Complex",
    "Vrindavan Society",
];
const STREETS: [&str; 14] = [
    "MG Road",
    "Gandhi Nagar",
    "Nehru Street",
    "Station Road",
    "Temple Street",
    "Main Bazaar",
    "2nd Cross, 4th Main",
    "Church Road",
    "Rajaji Salai",
    "Park Street",
    "Linking Road",
    "Ring Road",
    "Sector 14",
    "Civil Lines",
];
const LANDMARKS: [&str; 12] = [
    "City Hospital",
    "Hanuman Mandir",
    "SBI ATM",
    "Government School",
    "Bus Stand",
    "Post Office",
    "D-Mart",
    "Railway Station",
    "St. Mary's Church",
    "Jama Masjid",
    "Gurudwara",
    "Water Tank",
];

/// A first address line: flat, house number or plot.
pub(crate) fn line1(rng: &mut SynthRng) -> String {
    match rng.below(3) {
        0 => format!(
            "Flat {}{:02}, {}",
            rng.range(1, 13),
            rng.range(1, 9),
            pick(rng, &BUILDINGS)
        ),
        1 => format!("House No. {}, {}", rng.range(1, 900), pick(rng, &STREETS)),
        _ => format!(
            "{}/{}, {}",
            rng.range(1, 60),
            rng.range(1, 300),
            pick(rng, &STREETS)
        ),
    }
}

/// An optional second line: a landmark, as Indian addresses usually have.
pub(crate) fn line2(rng: &mut SynthRng) -> Option<String> {
    match rng.below(10) {
        0..=3 => None,
        4..=6 => Some(format!("Near {}", pick(rng, &LANDMARKS))),
        7 | 8 => Some(format!("Opp. {}", pick(rng, &LANDMARKS))),
        _ => Some((*pick(rng, &STREETS)).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_title_cased() {
        assert_eq!(title_case("BENGALURU URBAN"), "Bengaluru Urban");
        assert_eq!(title_case("JAMMU AND KASHMIR"), "Jammu and Kashmir");
        assert_eq!(
            title_case("THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU"),
            "The Dadra and Nagar Haveli and Daman and Diu"
        );
    }

    #[test]
    fn every_state_has_usable_pincodes() {
        assert_eq!(Places::build().state_count(), pincodes::STATES.len());
    }
}
