//! The canonical form behind [`NewOrder::content_hash`].
//!
//! Version line `orderly.new_order.v1`, then one `key=value` line per field in a fixed order.
//! Strings are quoted with JSON escaping (so no value can contain a raw newline), absent optionals
//! are `null`, money is paise, times are UTC Unix nanoseconds. Changing this form changes every
//! stored hash: bump the version line if you must.

use super::{Address, NewOrder};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

pub(super) fn content_hash(order: &NewOrder) -> String {
    let mut c = Canon(String::with_capacity(1024));
    c.0.push_str("orderly.new_order.v1\n");
    c.str("order_number", order.order_number.as_str());
    c.int(
        "placed_at_unix_nanos",
        order.placed_at.unix_timestamp_nanos(),
    );
    c.opt_str("customer.id", order.customer.id.as_deref());
    c.str("customer.name", &order.customer.name);
    c.str("customer.email", order.customer.email.as_str());
    c.str("customer.phone", order.customer.phone.as_str());
    c.address("shipping_address", Some(&order.shipping_address));
    c.address("billing_address", order.billing_address.as_ref());
    c.int("items.len", order.items.len() as i128);
    for (i, item) in order.items.iter().enumerate() {
        let k = |f: &str| format!("items.{i}.{f}");
        c.str(&k("sku"), &item.sku);
        c.str(&k("name"), &item.name);
        c.int(&k("units"), item.units.into());
        c.int(&k("unit_price_paise"), item.unit_price.paise().into());
        c.int(&k("tax_rate_bps"), item.tax_rate_bps.into());
        c.opt_str(&k("hsn_code"), item.hsn_code.as_deref());
    }
    c.int("shipping_paise", order.shipping_charges.paise().into());
    c.int("discount_paise", order.discount.paise().into());
    c.int("total_paise", order.total.paise().into());
    c.str("payment.method", order.payment_method.as_str());
    c.str("payment.status", order.payment_status.as_str());
    match &order.package {
        None => c.null("package"),
        Some(p) => {
            c.opt_int("package.weight_g", p.weight_g);
            c.opt_int("package.length_mm", p.length_mm);
            c.opt_int("package.breadth_mm", p.breadth_mm);
            c.opt_int("package.height_mm", p.height_mm);
        }
    }
    hex::encode(Sha256::digest(c.0.as_bytes()))
}

struct Canon(String);

impl Canon {
    fn key(&mut self, key: &str) {
        self.0.push_str(key);
        self.0.push('=');
    }

    fn null(&mut self, key: &str) {
        self.key(key);
        self.0.push_str("null\n");
    }

    fn int(&mut self, key: &str, v: i128) {
        self.key(key);
        let _ = writeln!(self.0, "{v}");
    }

    fn opt_int(&mut self, key: &str, v: Option<u32>) {
        match v {
            Some(v) => self.int(key, v.into()),
            None => self.null(key),
        }
    }

    fn str(&mut self, key: &str, v: &str) {
        self.key(key);
        self.0.push('"');
        for ch in v.chars() {
            match ch {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                    let _ = write!(self.0, "\\u{:04x}", u32::from(c));
                }
                c => self.0.push(c),
            }
        }
        self.0.push_str("\"\n");
    }

    fn opt_str(&mut self, key: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    fn address(&mut self, prefix: &str, a: Option<&Address>) {
        let Some(a) = a else {
            self.null(prefix);
            return;
        };
        let k = |f: &str| format!("{prefix}.{f}");
        self.str(&k("name"), &a.name);
        self.str(&k("line1"), &a.line1);
        self.opt_str(&k("line2"), a.line2.as_deref());
        self.str(&k("city"), &a.city);
        self.str(&k("state"), &a.state);
        self.str(&k("pincode"), a.pincode.as_str());
        self.str(&k("country"), &a.country);
    }
}
