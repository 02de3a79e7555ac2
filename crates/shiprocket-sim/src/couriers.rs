//! The simulated courier table (ids and names from Shiprocket's courier id table) and rate quotes.

use serde::Serialize;

use crate::geo::Zone;

/// One courier the simulated account can ship with.
#[derive(Debug)]
pub struct Courier {
    /// `courier_company_id`.
    pub id: i64,
    /// `courier_name`.
    pub name: &'static str,
    /// Surface (true) or air (false).
    pub surface: bool,
    /// Whether it accepts COD.
    pub cod: bool,
    /// Minimum billable weight in kg.
    pub min_weight: f64,
    /// Maximum weight in kg.
    pub max_weight: f64,
    /// Whether it serves the special zone (north-east, J&K, Ladakh, islands).
    pub special: bool,
    /// First-slab (0.5 kg) freight per zone, rupees.
    pub base: [f64; 5],
    /// Each further 0.5 kg, per zone, rupees.
    pub add: [f64; 5],
    /// Delivery days per zone.
    pub days: [u32; 5],
    /// Shiprocket rating.
    pub rating: f64,
    /// Pickup cut-off (IST, HH:MM): pickups requested later go to the next working day.
    pub cutoff: &'static str,
    /// AWB prefix.
    pub awb_prefix: &'static str,
    /// Number of digits after the prefix.
    pub awb_digits: u32,
    /// Suffix after the digits.
    pub awb_suffix: &'static str,
}

macro_rules! courier {
    ($id:expr, $name:expr, $surface:expr, $cod:expr, $min:expr, $max:expr, $special:expr,
     $base:expr, $add:expr, $days:expr, $rating:expr, $cutoff:expr, $pre:expr, $digits:expr, $suf:expr) => {
        Courier {
            id: $id,
            name: $name,
            surface: $surface,
            cod: $cod,
            min_weight: $min,
            max_weight: $max,
            special: $special,
            base: $base,
            add: $add,
            days: $days,
            rating: $rating,
            cutoff: $cutoff,
            awb_prefix: $pre,
            awb_digits: $digits,
            awb_suffix: $suf,
        }
    };
}

/// The couriers, in the order quotes are listed.
#[rustfmt::skip]
pub static COURIERS: [Courier; 12] = [
    courier!(43, "Delhivery Surface", true, true, 0.5, 20.0, true,
        [29.0, 33.0, 38.0, 44.0, 55.0], [26.0, 30.0, 34.0, 40.0, 52.0], [2, 3, 4, 5, 7], 4.6, "14:00", "1091", 9, ""),
    courier!(10, "Delhivery", false, true, 0.5, 10.0, true,
        [34.0, 40.0, 47.0, 56.0, 72.0], [30.0, 36.0, 44.0, 52.0, 66.0], [1, 2, 2, 3, 5], 4.5, "14:00", "1092", 9, ""),
    courier!(1, "Blue Dart", false, true, 0.5, 50.0, true,
        [45.0, 52.0, 60.0, 72.0, 90.0], [40.0, 46.0, 54.0, 64.0, 82.0], [1, 1, 2, 2, 4], 4.8, "12:00", "77", 9, ""),
    courier!(14, "Ecom Express Surface", true, true, 0.5, 30.0, true,
        [28.0, 32.0, 37.0, 43.0, 56.0], [25.0, 29.0, 33.0, 39.0, 50.0], [2, 3, 4, 6, 8], 4.2, "14:00", "30", 8, ""),
    courier!(19, "Ecom Express Surface 2kg", true, true, 2.0, 30.0, true,
        [60.0, 70.0, 82.0, 95.0, 120.0], [14.0, 16.0, 19.0, 22.0, 28.0], [2, 3, 4, 6, 8], 4.1, "14:00", "31", 8, ""),
    courier!(33, "Xpressbees", false, true, 0.5, 10.0, false,
        [33.0, 38.0, 45.0, 53.0, 70.0], [29.0, 34.0, 41.0, 49.0, 64.0], [1, 2, 3, 3, 5], 4.3, "14:00", "1432", 10, ""),
    courier!(51, "Xpressbees Surface", true, true, 0.5, 20.0, true,
        [27.0, 31.0, 36.0, 42.0, 54.0], [24.0, 28.0, 32.0, 38.0, 50.0], [2, 3, 4, 5, 8], 4.4, "14:00", "1411", 11, ""),
    courier!(48, "Ekart Logistics", true, true, 0.5, 25.0, true,
        [26.0, 30.0, 35.0, 41.0, 58.0], [23.0, 27.0, 31.0, 37.0, 52.0], [2, 3, 4, 5, 7], 4.0, "14:00", "FMPC", 10, ""),
    courier!(58, "Shadowfax Surface", true, false, 0.5, 10.0, false,
        [25.0, 29.0, 34.0, 40.0, 0.0], [22.0, 26.0, 30.0, 36.0, 0.0], [2, 3, 4, 5, 7], 4.1, "14:00", "SF", 10, "FPL"),
    courier!(142, "Amazon Surface 500gm Prepaid", true, false, 0.5, 0.5, false,
        [24.0, 27.0, 31.0, 36.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [2, 3, 3, 4, 7], 4.5, "14:00", "3", 11, ""),
    courier!(6, "DTDC Surface", true, true, 0.5, 50.0, true,
        [30.0, 35.0, 40.0, 47.0, 62.0], [27.0, 31.0, 36.0, 42.0, 56.0], [3, 4, 5, 6, 9], 3.9, "11:00", "D", 9, ""),
    courier!(39, "Delhivery Surface 5 Kgs", true, true, 5.0, 50.0, true,
        [140.0, 160.0, 185.0, 215.0, 270.0], [12.0, 14.0, 16.0, 19.0, 24.0], [3, 4, 5, 6, 8], 4.4, "14:00", "1093", 9, ""),
];

/// Looks a courier up by `courier_company_id`.
#[cfg(test)]
pub fn by_id(id: i64) -> Option<&'static Courier> {
    COURIERS.iter().find(|c| c.id == id)
}

/// What is being shipped, for a quote.
#[derive(Debug, Clone, Copy)]
pub struct Parcel {
    /// Dead weight, kg.
    pub weight: f64,
    /// Length × breadth × height in cm³ (0 when unknown).
    pub volume_cm3: f64,
    /// Cash on delivery.
    pub cod: bool,
    /// Declared value in rupees (for COD charges).
    pub declared_value: f64,
}

impl Parcel {
    /// max(actual, volumetric = L×B×H/5000), rounded up to the 0.5 kg slab.
    pub fn charge_weight(&self) -> f64 {
        let w = self.weight.max(self.volume_cm3 / 5000.0).max(0.5);
        (w * 2.0).ceil() / 2.0
    }
}

impl Courier {
    /// Whether the courier can carry this parcel into this zone.
    pub fn accepts(&self, parcel: &Parcel, zone: Zone) -> bool {
        (self.special || zone != Zone::Special)
            && (self.cod || !parcel.cod)
            && parcel.charge_weight() <= self.max_weight
    }

    /// Billable weight for this courier (never below its minimum).
    pub fn billed_weight(&self, parcel: &Parcel) -> f64 {
        parcel.charge_weight().max(self.min_weight)
    }

    /// Freight (rupees) for a parcel in a zone: first 0.5 kg slab plus each further slab.
    pub fn freight(&self, parcel: &Parcel, zone: Zone) -> f64 {
        let slabs = (self.billed_weight(parcel) / 0.5).ceil().max(1.0);
        let min_slabs = (self.min_weight / 0.5).ceil().max(1.0);
        let extra = (slabs - min_slabs).max(0.0);
        round2(self.base[zone.index()] + self.add[zone.index()] * extra)
    }

    /// COD charges (rupees): max(₹37, 1.5 % of the declared value), 0 for prepaid.
    pub fn cod_charges(&self, parcel: &Parcel) -> f64 {
        if parcel.cod {
            round2((parcel.declared_value * 0.015).max(37.0))
        } else {
            0.0
        }
    }

    /// The total rate (freight + COD charges) in rupees.
    pub fn rate(&self, parcel: &Parcel, zone: Zone) -> f64 {
        round2(self.freight(parcel, zone) + self.cod_charges(parcel))
    }

    /// The AWB number with sequence `n`, in this courier's format.
    pub fn awb(&self, n: u64) -> String {
        let digits = self.awb_digits as usize;
        let modulus = 10u64.saturating_pow(self.awb_digits);
        format!(
            "{}{:0digits$}{}",
            self.awb_prefix,
            n % modulus,
            self.awb_suffix
        )
    }

    /// The cut-off as (hour, minute).
    pub fn cutoff_hm(&self) -> (u8, u8) {
        let mut it = self.cutoff.split(':').map(|p| p.parse::<u8>().unwrap_or(0));
        (it.next().unwrap_or(14), it.next().unwrap_or(0))
    }
}

/// Rounds to paise.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One element of `data.available_courier_companies` (key order and loose types as in the docs).
#[derive(Debug, Serialize)]
pub struct Quote {
    pub air_max_weight: String,
    pub assured_amount: u8,
    pub base_courier_id: Option<i64>,
    pub base_weight: &'static str,
    pub blocked: u8,
    pub call_before_delivery: &'static str,
    pub charge_weight: f64,
    pub city: String,
    pub cod: u8,
    pub cod_charges: f64,
    pub cod_multiplier: f64,
    pub cost: &'static str,
    pub courier_company_id: i64,
    pub courier_name: &'static str,
    pub courier_type: &'static str,
    pub coverage_charges: u8,
    pub cutoff_time: &'static str,
    pub delivery_boy_contact: &'static str,
    pub delivery_performance: f64,
    pub description: &'static str,
    pub edd: &'static str,
    pub entry_tax: u8,
    pub estimated_delivery_days: String,
    pub etd: String,
    pub etd_hours: u32,
    pub freight_charge: f64,
    pub id: i64,
    pub is_custom_rate: u8,
    pub is_hyperlocal: bool,
    pub is_international: u8,
    pub is_rto_address_available: bool,
    pub is_surface: bool,
    pub local_region: u8,
    pub metro: u8,
    pub min_weight: f64,
    pub mode: u8,
    pub new_edd: u8,
    pub odablock: bool,
    pub other_charges: u8,
    pub others: &'static str,
    pub pickup_availability: &'static str,
    pub pickup_performance: f64,
    pub pickup_priority: &'static str,
    pub pickup_supress_hours: u8,
    pub pod_available: &'static str,
    pub postcode: String,
    pub qc_courier: u8,
    pub rank: &'static str,
    pub rate: f64,
    pub rating: f64,
    pub realtime_tracking: &'static str,
    pub region: u8,
    pub rto_charges: f64,
    pub rto_performance: f64,
    pub seconds_left_for_pickup: i64,
    pub secure_shipment_disabled: bool,
    pub ship_type: u8,
    pub state: String,
    pub suppress_date: &'static str,
    pub suppress_text: &'static str,
    pub suppression_dates: Option<()>,
    pub surface_max_weight: String,
    pub tracking_performance: f64,
    pub volumetric_max_weight: Option<f64>,
    pub weight_cases: f64,
    pub zone: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumetric_weight_wins_when_larger_and_rounds_to_half_kilo_slabs() {
        let p = Parcel {
            weight: 0.3,
            volume_cm3: 30.0 * 20.0 * 10.0,
            cod: false,
            declared_value: 0.0,
        };
        assert!((p.charge_weight() - 1.5).abs() < 1e-9);
        let p = Parcel {
            weight: 1.1,
            volume_cm3: 0.0,
            cod: false,
            declared_value: 0.0,
        };
        assert!((p.charge_weight() - 1.5).abs() < 1e-9);
    }

    #[test]
    fn heavier_parcels_and_farther_zones_cost_more() {
        let c = by_id(43).unwrap();
        let light = Parcel {
            weight: 0.5,
            volume_cm3: 0.0,
            cod: false,
            declared_value: 0.0,
        };
        let heavy = Parcel {
            weight: 2.0,
            ..light
        };
        assert!(c.rate(&heavy, Zone::Metro) > c.rate(&light, Zone::Metro));
        assert!(c.rate(&light, Zone::Special) > c.rate(&light, Zone::Local));
    }

    #[test]
    fn awbs_follow_each_couriers_format() {
        assert_eq!(by_id(58).unwrap().awb(42), "SF0000000042FPL");
        assert_eq!(by_id(43).unwrap().awb(7).len(), 13);
    }
}
