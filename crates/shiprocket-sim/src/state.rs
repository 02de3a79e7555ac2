//! The simulator's mutable world: accounts, tokens, orders, shipments, AWBs, wallet, RNG and clock.
//! One `State` lives behind one mutex; every request takes it for a short section.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock::SimClock;
use crate::config::{PickupLocationConfig, SimConfig};
use crate::couriers::Courier;
use crate::geo::{self, Zone};

/// One request the simulator answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLogEntry {
    /// HTTP method.
    pub method: String,
    /// Request path, e.g. "/v1/external/orders/create/adhoc".
    pub path: String,
    /// HTTP status sent (504 for an injected timeout).
    pub status: u16,
}

/// A registered pickup location.
#[derive(Debug, Clone)]
pub struct Pickup {
    /// Shiprocket's address id.
    pub id: i64,
    /// The location as configured.
    pub cfg: PickupLocationConfig,
}

/// The parts of a created order the simulator needs later.
#[derive(Debug, Clone)]
pub struct Order {
    /// Shiprocket order id.
    pub id: i64,
    /// Shiprocket shipment id (one shipment per order).
    pub shipment_id: i64,
    /// Channel id the order was created under.
    pub channel_id: i64,
    /// The seller's own `order_id`.
    pub channel_order_id: String,
    /// Index into `State::pickups`.
    pub pickup: usize,
    /// Delivery address fields.
    pub customer_name: String,
    /// Delivery address line.
    pub address: String,
    /// Delivery city.
    pub city: String,
    /// Delivery state.
    pub state: String,
    /// Delivery PIN.
    pub pincode: String,
    /// Customer phone.
    pub phone: String,
    /// Customer email.
    pub email: String,
    /// Cash on delivery.
    pub cod: bool,
    /// `sub_total` in rupees.
    pub sub_total: f64,
    /// Dead weight, kg.
    pub weight: f64,
    /// L, B, H in cm.
    pub dims: (f64, f64, f64),
    /// Total units.
    pub units: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Cancelled through `orders/cancel`.
    pub cancelled: bool,
    /// The live AWB, if any.
    pub awb: Option<String>,
    /// When the courier was last reassigned.
    pub reassigned_at: Option<OffsetDateTime>,
    /// Generated label URL.
    pub label_url: Option<String>,
    /// Generated manifest URL.
    pub manifest_url: Option<String>,
    /// Generated invoice URL.
    pub invoice_url: Option<String>,
}

/// One scan (tracking activity), possibly in the simulated future.
#[derive(Debug, Clone)]
pub struct Scan {
    /// When it happens.
    pub at: OffsetDateTime,
    /// Shiprocket shipment status code (`sr-status`), or None for "NA".
    pub code: Option<u32>,
    /// The courier's raw scan code.
    pub raw: &'static str,
    /// Activity text.
    pub activity: String,
    /// Location text.
    pub location: String,
}

/// One AWB: a shipment handed to a courier (a reassignment creates a new one).
#[derive(Debug, Clone)]
pub struct Consignment {
    /// AWB number.
    pub awb: String,
    /// Index into `State::orders`.
    pub order: usize,
    /// The courier.
    pub courier: &'static Courier,
    /// Debited from the wallet.
    pub rate_paise: i64,
    /// Billable weight.
    pub applied_weight: f64,
    /// Zone of the lane.
    pub zone: Zone,
    /// Delivery days quoted.
    pub days: u32,
    /// When the AWB was assigned.
    pub assigned_at: OffsetDateTime,
    /// Pickup slot once requested.
    pub pickup_scheduled: Option<OffsetDateTime>,
    /// Pickup token once requested.
    pub pickup_token: Option<String>,
    /// Expected delivery once picked up.
    pub etd: Option<OffsetDateTime>,
    /// Scans, sorted by time (future ones included).
    pub scans: Vec<Scan>,
    /// How many scans were already pushed as webhooks.
    pub webhooks_sent: usize,
    /// Whether the AWB was cancelled.
    pub cancelled: bool,
}

impl Consignment {
    /// Scans that have happened by `now`.
    pub fn due(&self, now: OffsetDateTime) -> &[Scan] {
        let n = self.scans.iter().take_while(|s| s.at <= now).count();
        &self.scans[..n]
    }

    /// Shipment status code at `now` (shipment code space).
    pub fn status(&self, now: OffsetDateTime) -> u32 {
        let due = self.due(now);
        if let Some(code) = due.iter().rev().find_map(|s| s.code) {
            code
        } else if self.pickup_scheduled.is_some() {
            3
        } else {
            1
        }
    }

    /// True once the courier has come for the parcel (Out For Pickup or later).
    pub fn picked(&self, now: OffsetDateTime) -> bool {
        self.due(now)
            .iter()
            .any(|s| matches!(s.code, Some(19 | 42 | 6)))
    }
}

/// Per-token rate-limit window.
#[derive(Debug, Clone, Copy)]
pub struct RateWindow {
    /// Window start (wall clock).
    pub start: Instant,
    /// Calls in the window.
    pub count: u32,
}

/// The whole mutable world.
pub struct State {
    /// Live configuration (knobs change it).
    pub cfg: SimConfig,
    /// The simulated clock.
    pub clock: SimClock,
    /// The one seeded RNG.
    pub rng: StdRng,
    /// HS256 secret.
    pub jwt_secret: Vec<u8>,
    /// Valid tokens → exp (unix seconds).
    pub tokens: HashMap<String, i64>,
    /// Rate-limit windows per token.
    pub rate: HashMap<String, RateWindow>,
    /// `Some(None)`: outage until cleared; `Some(Some(t))`: until wall-clock `t`.
    pub outage: Option<Option<Instant>>,
    /// Wallet balance in paise.
    pub wallet_paise: i64,
    /// Extra unserviceable PINs.
    pub unserviceable: HashSet<String>,
    /// Pickup locations.
    pub pickups: Vec<Pickup>,
    /// Orders, by creation.
    pub orders: Vec<Order>,
    /// (channel id, channel order id) → index.
    pub by_channel: HashMap<(i64, String), usize>,
    /// Shiprocket order id → index.
    pub by_order_id: HashMap<i64, usize>,
    /// Shipment id → index.
    pub by_shipment: HashMap<i64, usize>,
    /// AWB → consignment.
    pub consignments: HashMap<String, Consignment>,
    /// Monotonic sequences.
    pub seq: Sequences,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No secrets, tokens or PII: counts only.
        f.debug_struct("State")
            .field("now", &self.now())
            .field("tokens", &self.tokens.len())
            .field("wallet_paise", &self.wallet_paise)
            .field("orders", &self.orders.len())
            .field("awbs", &self.consignments.len())
            .finish_non_exhaustive()
    }
}

/// Id sequences (bases derived from the seed).
#[derive(Debug, Clone, Copy)]
pub struct Sequences {
    /// Next Shiprocket order id.
    pub order: i64,
    /// Next shipment id.
    pub shipment: i64,
    /// Next AWB sequence number.
    pub awb: u64,
    /// Next document number (manifests, invoices).
    pub doc: u64,
    /// Next pickup token number.
    pub pickup: u64,
    /// Next quote row id.
    pub quote: i64,
}

/// The Shiprocket user id of the API user.
pub const USER_ID: i64 = 3_187_455;
/// The Shiprocket company id.
pub const COMPANY_ID: i64 = 1_138_022;

impl State {
    /// Builds the initial world from a config.
    pub fn new(cfg: SimConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let start = cfg.start_time.unwrap_or_else(OffsetDateTime::now_utc);
        let clock = SimClock::new(start, cfg.real_time);
        let jwt_secret: Vec<u8> = (0..32).map(|_| rng.random::<u8>()).collect();
        let seq = Sequences {
            order: 1_400_000_000 + rng.random_range(0..9_000_000),
            shipment: 1_390_000_000 + rng.random_range(0..9_000_000),
            awb: rng.random_range(10_000_000..90_000_000),
            doc: rng.random_range(1000..9000),
            pickup: rng.random_range(100_000..900_000),
            quote: 459_000_000 + rng.random_range(0..900_000),
        };
        let mut pickups = vec![Pickup {
            id: 4_984_500,
            cfg: PickupLocationConfig::default(),
        }];
        for (i, p) in cfg.pickup_locations.iter().enumerate() {
            let id = 4_984_501 + i64::try_from(i).unwrap_or(0);
            pickups.push(Pickup { id, cfg: p.clone() });
        }
        Self {
            wallet_paise: cfg.wallet_balance_paise,
            unserviceable: cfg.unserviceable.iter().cloned().collect(),
            clock,
            rng,
            jwt_secret,
            tokens: HashMap::new(),
            rate: HashMap::new(),
            outage: None,
            pickups,
            orders: Vec::new(),
            by_channel: HashMap::new(),
            by_order_id: HashMap::new(),
            by_shipment: HashMap::new(),
            consignments: HashMap::new(),
            seq,
            cfg,
        }
    }

    /// The simulated now.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Whether some courier could serve this PIN (real PIN, not in either unserviceable set).
    pub fn is_serviceable(&self, pin: &str) -> bool {
        geo::lookup(pin).is_some()
            && !geo::builtin_unserviceable(pin)
            && !self.unserviceable.contains(pin)
    }

    /// The order owning a shipment id.
    pub fn order_by_shipment(&self, shipment_id: i64) -> Option<usize> {
        self.by_shipment.get(&shipment_id).copied()
    }

    /// The live consignment of an order.
    pub fn live_consignment(&self, order: usize) -> Option<&Consignment> {
        let awb = self.orders.get(order)?.awb.as_ref()?;
        self.consignments.get(awb)
    }

    /// Draws a uniform f64 in [0, 1).
    pub fn draw(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
}
