//! A catalogue of about 60 D2C products with SKUs, prices, HSN codes and their GST rates.
//!
//! Rates follow the GST schedule as commonly applied before the 2025 rationalisation: apparel and
//! made-up textiles 5 % up to ₹1,000 and 12 % above; cosmetics and electronics accessories 18 %;
//! packaged staples 5 %; ghee and pickles 12 %; chocolate 18 %; caffeinated drinks 28 %; books 0 %.

/// One product line.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    /// Stock-keeping unit.
    pub sku: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Price of one unit before GST, in paise.
    pub price_paise: i64,
    /// GST rate in basis points.
    pub gst_bps: u32,
    /// HSN code.
    pub hsn: &'static str,
    /// Shipping weight of one unit in grams.
    pub weight_g: u32,
}

const fn p(
    sku: &'static str,
    name: &'static str,
    price_paise: i64,
    gst_bps: u32,
    hsn: &'static str,
    weight_g: u32,
) -> Product {
    Product {
        sku,
        name,
        price_paise,
        gst_bps,
        hsn,
        weight_g,
    }
}

/// The catalogue.
#[rustfmt::skip]
pub const PRODUCTS: [Product; 60] = [
    // Apparel
    p("TEE-BLK-M", "Black cotton tee (M)", 49_900, 500, "6109", 200),
    p("TEE-WHT-L", "White cotton tee (L)", 49_900, 500, "6109", 210),
    p("TEE-NVY-XL", "Navy cotton tee (XL)", 54_900, 500, "6109", 220),
    p("POLO-OLV-M", "Olive polo (M)", 89_900, 500, "6105", 260),
    p("KURTA-IND-M", "Indigo block-print kurta (M)", 129_900, 1200, "6211", 350),
    p("KURTI-MUS-S", "Mustard rayon kurti (S)", 79_900, 500, "6204", 250),
    p("JEANS-BLU-32", "Slim fit jeans (32)", 179_900, 1200, "6203", 600),
    p("JOGGER-GRY-M", "Grey joggers (M)", 99_900, 500, "6103", 400),
    p("SAREE-COT-BLU", "Handloom cotton saree", 249_900, 500, "5208", 700),
    p("DUPATTA-PHL", "Phulkari dupatta", 89_900, 500, "6214", 200),
    p("SOCK-3PK", "Bamboo socks (pack of 3)", 39_900, 500, "6115", 120),
    p("HOODIE-BLK-L", "Black fleece hoodie (L)", 149_900, 1200, "6110", 650),
    p("BOXER-2PK", "Cotton boxers (pack of 2)", 59_900, 500, "6107", 200),
    p("TOTE-CNV", "Canvas tote bag", 59_900, 1800, "4202", 250),
    // Beauty and personal care
    p("FW-NEEM-100", "Neem face wash 100 ml", 24_900, 1800, "3401", 130),
    p("SERUM-VITC-30", "Vitamin C serum 30 ml", 59_900, 1800, "3304", 90),
    p("SUN-SPF50-50", "Sunscreen SPF 50, 50 g", 44_900, 1800, "3304", 80),
    p("LIP-BALM-BRY", "Berry lip balm", 19_900, 1800, "3304", 20),
    p("SHAMPOO-ONN-250", "Onion shampoo 250 ml", 34_900, 1800, "3305", 300),
    p("HAIROIL-BHR-200", "Bhringraj hair oil 200 ml", 29_900, 1800, "3305", 250),
    p("KAJAL-BLK", "Kohl kajal", 17_900, 1800, "3304", 15),
    p("PERF-OUD-50", "Oud eau de parfum 50 ml", 129_900, 1800, "3303", 250),
    p("SOAP-SND-3PK", "Sandalwood soap (pack of 3)", 27_900, 1800, "3401", 330),
    p("BEARD-OIL-30", "Beard oil 30 ml", 34_900, 1800, "3304", 80),
    p("MASK-UBT-100", "Ubtan face pack 100 g", 29_900, 1800, "3304", 120),
    // Home
    p("MUG-CER-350", "Ceramic mug 350 ml", 34_900, 1200, "6912", 350),
    p("BEDSHEET-DBL", "Cotton double bedsheet with 2 pillow covers", 149_900, 1200, "6302", 900),
    p("CANDLE-LAV", "Lavender soy candle", 44_900, 1200, "3406", 300),
    p("CUSHION-CVR-2", "Cushion covers (set of 2)", 59_900, 500, "6304", 250),
    p("BOTTLE-CU-1L", "Copper water bottle 1 L", 89_900, 1200, "7418", 450),
    p("DIYA-BRS", "Brass diya", 69_900, 1200, "7419", 400),
    p("PLANTER-TRC", "Terracotta planter", 39_900, 1200, "6914", 800),
    p("TOWEL-BTH", "Bath towel", 54_900, 500, "6302", 400),
    p("DOORMAT-COIR", "Coir doormat", 34_900, 500, "5702", 900),
    p("INCENSE-SND", "Sandalwood incense sticks", 14_900, 500, "3307", 100),
    p("NOTEBOOK-A5", "A5 dotted notebook", 24_900, 1200, "4820", 250),
    // Food
    p("TEA-ASM-250", "Assam tea 250 g", 34_900, 500, "0902", 280),
    p("COFFEE-FLT-250", "Filter coffee 250 g", 39_900, 500, "0901", 280),
    p("GHEE-A2-500", "A2 cow ghee 500 ml", 89_900, 1200, "0405", 550),
    p("HONEY-RAW-500", "Raw forest honey 500 g", 44_900, 500, "0409", 600),
    p("MAKHANA-PRI-100", "Peri peri makhana 100 g", 19_900, 1200, "2008", 120),
    p("CHOC-DARK-70", "70% dark chocolate bar", 24_900, 1800, "1806", 90),
    p("ALMOND-500", "California almonds 500 g", 59_900, 500, "0802", 520),
    p("CASHEW-250", "Goan cashews 250 g", 44_900, 500, "0801", 270),
    p("PICKLE-MNG-400", "Mango pickle 400 g", 24_900, 1200, "2001", 480),
    p("GRANOLA-400", "Millet granola 400 g", 39_900, 1800, "1904", 430),
    p("ENERGY-DRINK-4", "Energy drink (pack of 4)", 39_900, 2800, "2202", 1100),
    p("MASALA-CHAI-100", "Masala chai mix 100 g", 22_900, 500, "0910", 120),
    // Electronics accessories
    p("CABLE-USBC-1M", "USB-C braided cable 1 m", 39_900, 1800, "8544", 60),
    p("CHGR-20W", "20 W fast charger", 89_900, 1800, "8504", 120),
    p("PB-10K", "10,000 mAh power bank", 149_900, 1800, "8507", 250),
    p("TWS-BLK", "Wireless earbuds", 199_900, 1800, "8518", 150),
    p("CASE-IP15", "Phone case (iPhone 15)", 49_900, 1800, "3926", 60),
    p("SCRN-GLS", "Tempered glass screen guard", 29_900, 1800, "7007", 40),
    p("STAND-LAP", "Aluminium laptop stand", 129_900, 1800, "7616", 700),
    p("MOUSE-WL", "Wireless mouse", 69_900, 1800, "8471", 110),
    p("SMARTBAND", "Fitness band", 249_900, 1800, "8517", 90),
    p("SPK-BT", "Bluetooth speaker", 179_900, 1800, "8518", 400),
    // Books
    p("BOOK-COOK", "Regional cookbook (paperback)", 49_900, 0, "4901", 450),
    p("BOOK-KIDS", "Picture book for kids", 29_900, 0, "4901", 300),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_unique_and_every_gst_slab_is_represented() {
        let skus: std::collections::HashSet<_> = PRODUCTS.iter().map(|p| p.sku).collect();
        assert_eq!(skus.len(), PRODUCTS.len());
        for slab in [0, 500, 1200, 1800, 2800] {
            assert!(
                PRODUCTS.iter().any(|p| p.gst_bps == slab),
                "no product at {slab} bps"
            );
        }
    }

    #[test]
    fn apparel_up_to_a_thousand_rupees_is_taxed_at_five_percent() {
        for p in PRODUCTS
            .iter()
            .filter(|p| p.hsn.starts_with("61") || p.hsn.starts_with("62"))
        {
            let want = if p.price_paise <= 100_000 { 500 } else { 1200 };
            assert_eq!(p.gst_bps, want, "{}", p.sku);
        }
    }
}
