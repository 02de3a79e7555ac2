//! Realistic, deterministic synthetic Indian D2C orders, for seeding, the demo checkout, tests
//! and benchmarks. The same seed gives the same orders on every build: the random source
//! (`rng.rs`) is a fixed algorithm, independent of the `rand` version in the tree.

mod catalogue;
mod names;
mod places;
mod rng;

pub use catalogue::{PRODUCTS, Product};

use crate::rng::SynthRng;
use orderly_domain::intake::order_placed_json;
use orderly_domain::order::{
    Address, Customer, NewOrder, OrderItem, OrderNumber, Package, PaymentMethod, PaymentStatus,
};
use orderly_domain::{Email, Money, Phone};
use places::{Place, Places};
use serde_json::Value;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// A generator of synthetic orders. Cheap to create: its tables are built once per process.
#[derive(Debug)]
pub struct Synth {
    rng: SynthRng,
    seed: u64,
}

fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(Places::build)
}

/// A uniformly chosen element of a non-empty constant table.
pub(crate) fn pick<'a, T>(rng: &mut SynthRng, items: &'a [T]) -> &'a T {
    let i = rng.index(items.len());
    &items[i]
}

/// A value chosen with the given integer weights (a non-empty constant table).
pub(crate) fn weighted<T: Copy>(rng: &mut SynthRng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(u64::from(total));
    for (v, w) in table {
        let w = u64::from(*w);
        if roll < w {
            return *v;
        }
        roll -= w;
    }
    table[0].0
}

/// Unwraps a value the generator built to be valid; an error here is a bug in this crate.
fn built<T>(r: Result<T, String>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => unreachable!("synth built an invalid {what}: {e}"),
    }
}

/// Shipping is free from ₹499 (items + GST); below that one of these flat rates applies.
const FREE_SHIPPING_FROM: i64 = 49_900;
const SHIPPING_RATES: [i64; 5] = [4_900, 5_900, 6_900, 7_900, 9_900];

impl Synth {
    /// A generator whose output is determined by `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Synth {
        Synth {
            rng: SynthRng::new(seed),
            seed,
        }
    }

    /// The seed this generator started from.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A valid order numbered from `seq` (`ORD-` + `seq` zero-padded to 7 digits, e.g.
    /// `ORD-0001234`), placed at `placed_at`. Its totals always add up and its shipping address
    /// always passes [`orderly_domain::pincodes::check_address`].
    pub fn order(&mut self, seq: u64, placed_at: OffsetDateTime) -> NewOrder {
        let rng = &mut self.rng;
        let place = places().pick(rng);
        let state_key = place.map_or("", |p| p.state_key);
        let (first, last) = names::person(rng, state_key);
        let name = format!("{first} {last}");
        let customer = Customer {
            id: rng.chance(0.6).then(|| format!("cus_{:08x}", rng.u32())),
            email: built(Email::parse(&names::email(rng, first, last)), "email"),
            phone: built(Phone::parse(&names::mobile_digits(rng)), "phone"),
            name: name.clone(),
        };
        let shipping_address = address(rng, name.clone(), place);
        let billing_address = rng.chance(0.08).then(|| {
            let place = places().pick(rng);
            address(rng, name, place)
        });
        let (items, weight_g) = items(rng);
        let mut order = NewOrder {
            order_number: built(OrderNumber::parse(&format!("ORD-{seq:07}")), "order number"),
            placed_at,
            customer,
            shipping_address,
            billing_address,
            items,
            shipping_charges: Money::ZERO,
            discount: Money::ZERO,
            total: Money::ZERO,
            payment_method: PaymentMethod::Prepaid,
            payment_status: PaymentStatus::Paid,
            package: rng.chance(0.9).then(|| package(weight_g)),
        };
        let gross = order.items_subtotal().paise() + order.tax_total().paise();
        if gross < FREE_SHIPPING_FROM {
            order.shipping_charges = Money::from_paise(*pick(rng, &SHIPPING_RATES));
        }
        order.discount = Money::from_paise(discount(rng, order.items_subtotal().paise()));
        order.total = order.expected_total();
        if rng.chance(0.35) {
            order.payment_method = PaymentMethod::Cod;
            order.payment_status = PaymentStatus::Pending;
        }
        order
    }

    /// An `OrderPlaced` v1 envelope for `order`, with a fresh UUIDv7 event id (timestamped at
    /// `placed_at`, random bits from this generator) and `occurred_at = placed_at`. The phone
    /// number is written in one of the spellings checkouts really send.
    pub fn envelope(&mut self, order: &NewOrder) -> Value {
        let millis = u64::try_from(order.placed_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let random: [u8; 10] = self.rng.bytes();
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
        let mut env = order_placed_json(&id.to_string(), order.placed_at, order);
        let spelled = names::spell_phone(&mut self.rng, order.customer.phone.as_str());
        if let Some(phone) = env.pointer_mut("/data/customer/phone") {
            *phone = Value::String(spelled);
        }
        env
    }
}

fn address(rng: &mut SynthRng, name: String, place: Option<&Place>) -> Address {
    // `place` is only None if the embedded directory were empty; fall back to a real Pune PIN.
    let (pincode, city, state) = match place {
        Some(p) => (p.pincode.clone(), p.city.clone(), p.state.clone()),
        None => (
            built(orderly_domain::Pincode::from_u32(411_001), "PIN"),
            "Pune".to_owned(),
            "Maharashtra".to_owned(),
        ),
    };
    Address {
        name,
        line1: places::line1(rng),
        line2: places::line2(rng),
        city,
        state,
        pincode,
        country: "IN".to_owned(),
    }
}

/// 1–4 distinct lines, and the parcel weight in grams (with 60 g of packaging).
fn items(rng: &mut SynthRng) -> (Vec<OrderItem>, u32) {
    let lines = weighted(rng, &[(1usize, 55), (2, 28), (3, 12), (4, 5)]);
    let mut chosen: Vec<&Product> = Vec::with_capacity(lines);
    while chosen.len() < lines {
        let p = pick(rng, &PRODUCTS);
        if !chosen.iter().any(|c| c.sku == p.sku) {
            chosen.push(p);
        }
    }
    let mut weight = 60;
    let items = chosen
        .into_iter()
        .map(|p| {
            let units = weighted(rng, &[(1u32, 75), (2, 18), (3, 5), (4, 1), (5, 1)]);
            weight += p.weight_g * units;
            OrderItem {
                sku: p.sku.to_owned(),
                name: p.name.to_owned(),
                units,
                unit_price: Money::from_paise(p.price_paise),
                tax_rate_bps: p.gst_bps,
                hsn_code: Some(p.hsn.to_owned()),
            }
        })
        .collect();
    (items, weight)
}

/// About one order in six has a discount: a flat coupon on bigger baskets or 10 % off.
fn discount(rng: &mut SynthRng, subtotal: i64) -> i64 {
    match rng.below(100) {
        0..=8 if subtotal >= 99_900 => *pick(rng, &[5_000, 10_000, 15_000]),
        9..=16 => subtotal / 10 / 100 * 100,
        _ => 0,
    }
}

/// A box for the weight: a mailer bag, a small, medium or large carton (dimensions in mm).
fn package(weight_g: u32) -> Package {
    let (l, b, h) = match weight_g {
        0..=300 => (250, 200, 30),
        301..=1_000 => (300, 250, 80),
        1_001..=3_000 => (400, 300, 150),
        _ => (500, 400, 250),
    };
    Package {
        weight_g: Some(weight_g),
        length_mm: Some(l),
        breadth_mm: Some(b),
        height_mm: Some(h),
    }
}

#[cfg(test)]
mod tests;
