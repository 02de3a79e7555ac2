//! Courier choice: hard constraints, the five policies, the person's override, refusals, and
//! properties that hold for any set of quotes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderly_domain::courier::{
    Choice, MAX_HOPS, Policy, Quote, Recommendation, Shipment, balanced_scores, choose,
    choose_override, next_after_refusal,
};
use proptest::prelude::*;

fn quote(id: i64, name: &str, rate_paise: i64, days: Option<u32>, rating: Option<f64>) -> Quote {
    Quote {
        courier_id: id,
        courier_name: name.into(),
        rate_paise,
        cod: true,
        estimated_days: days,
        etd: None,
        rating,
        blocked: false,
        pickup_available: true,
        max_weight_g: None,
        is_surface: true,
    }
}

/// Five couriers for a 1 kg COD parcel; Xpressbees is the cheapest but does not take COD.
fn market() -> Vec<Quote> {
    vec![
        quote(10, "Delhivery Surface", 5400, Some(5), Some(3.9)),
        Quote {
            cod: false,
            ..quote(20, "Xpressbees", 4900, Some(4), Some(4.1))
        },
        quote(30, "Blue Dart Air", 12000, Some(2), Some(4.6)),
        quote(40, "Ekart", 6100, Some(4), Some(4.8)),
        quote(50, "DTDC", 5800, None, None),
    ]
}

const COD_1KG: Shipment = Shipment {
    cod: true,
    weight_g: 1000,
};
const NO_REC: Recommendation = Recommendation {
    recommended_courier_id: None,
};

fn chosen_id(c: &Choice) -> Option<i64> {
    c.chosen.as_ref().map(|q| q.courier_id)
}

#[test]
fn cheapest_picks_the_lowest_eligible_rate_and_says_who_was_excluded() {
    let c = choose(Policy::Cheapest, &market(), &COD_1KG, &NO_REC);
    assert_eq!(chosen_id(&c), Some(10));
    assert_eq!(
        c.explanation,
        "Cheapest eligible courier: Delhivery Surface at ₹54.00 (3 others eligible; \
         Xpressbees excluded: does not collect cash on delivery)"
    );
    let order: Vec<i64> = c.ranking.iter().map(|r| r.quote.courier_id).collect();
    assert_eq!(order, [10, 50, 40, 30, 20]);
    assert!(!c.ranking[4].eligible);
}

#[test]
fn a_prepaid_order_may_use_a_courier_without_cash_on_delivery() {
    let prepaid = Shipment {
        cod: false,
        weight_g: 1000,
    };
    let c = choose(Policy::Cheapest, &market(), &prepaid, &NO_REC);
    assert_eq!(chosen_id(&c), Some(20));
    assert!(
        c.explanation.ends_with("(4 others eligible)"),
        "{}",
        c.explanation
    );
}

#[test]
fn blocked_overweight_and_no_pickup_couriers_are_excluded_with_their_reasons() {
    let quotes = vec![
        Quote {
            blocked: true,
            ..quote(1, "Shadowfax", 3000, Some(3), Some(4.0))
        },
        Quote {
            max_weight_g: Some(5000),
            ..quote(2, "Ecom Express", 3500, Some(3), Some(4.0))
        },
        Quote {
            pickup_available: false,
            cod: false,
            ..quote(3, "Amazon Shipping", 3600, Some(3), Some(4.0))
        },
        Quote {
            max_weight_g: Some(0),
            ..quote(4, "Delhivery Surface", 9000, Some(3), Some(4.0))
        },
    ];
    let heavy = Shipment {
        cod: true,
        weight_g: 6200,
    };
    let c = choose(Policy::Cheapest, &quotes, &heavy, &NO_REC);
    assert_eq!(chosen_id(&c), Some(4), "a limit of 0 means no known limit");
    let reason = |id: i64| {
        c.ranking
            .iter()
            .find(|r| r.quote.courier_id == id)
            .and_then(|r| r.excluded_because.clone())
    };
    assert_eq!(reason(1).as_deref(), Some("blocked"));
    assert_eq!(reason(2).as_deref(), Some("over its 5 kg limit"));
    assert_eq!(
        reason(3).as_deref(),
        Some("does not collect cash on delivery, no pickup from your warehouse")
    );
    assert_eq!(reason(4), None);
}

#[test]
fn fastest_picks_the_fewest_days_and_puts_unknown_days_last() {
    let c = choose(Policy::Fastest, &market(), &COD_1KG, &NO_REC);
    assert_eq!(chosen_id(&c), Some(30));
    assert!(
        c.explanation
            .starts_with("Fastest eligible courier: Blue Dart Air in 2 days at ₹120.00")
    );
    let eligible: Vec<i64> = c
        .ranking
        .iter()
        .filter(|r| r.eligible)
        .map(|r| r.quote.courier_id)
        .collect();
    assert_eq!(eligible, [30, 40, 10, 50]);
}

#[test]
fn best_rated_picks_the_highest_rating_and_puts_unrated_last() {
    let c = choose(Policy::BestRated, &market(), &COD_1KG, &NO_REC);
    assert_eq!(chosen_id(&c), Some(40));
    assert!(
        c.explanation
            .starts_with("Best-rated eligible courier: Ekart, rated 4.8 of 5, at ₹61.00")
    );
    assert_eq!(
        c.ranking
            .iter()
            .rfind(|r| r.eligible)
            .unwrap()
            .quote
            .courier_id,
        50
    );
}

#[test]
fn balanced_scores_follow_the_documented_formula() {
    let a = quote(1, "A", 5000, Some(2), Some(5.0));
    let b = quote(2, "B", 10000, Some(6), Some(2.5));
    let c = quote(3, "C", 7500, None, None);
    let s = balanced_scores(&[&a, &b, &c]);
    let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
    assert!(close(s[0], 0.5 + 0.3 + 0.2), "{s:?}");
    assert!(close(s[1], 0.0 + 0.0 + 0.2 * 0.5), "{s:?}");
    assert!(close(s[2], 0.5 * 0.5), "{s:?}");
}

#[test]
fn balanced_trades_price_against_speed_and_rating() {
    let c = choose(Policy::Balanced, &market(), &COD_1KG, &NO_REC);
    // Delhivery: cheapest (0.5) + slowest (0) + 3.9/5·0.2; Ekart: 0.5·(59/66) + 0.3·(1/3) + 0.192.
    assert_eq!(chosen_id(&c), Some(40));
    assert!(
        c.explanation.starts_with(
            "Best balance of price, speed and rating: Ekart at ₹61.00, 4 days, rated 4.8 of 5 (score 0."
        ),
        "{}",
        c.explanation
    );
}

#[test]
fn recommended_uses_shiprockets_pick_when_it_is_eligible() {
    let rec = Recommendation {
        recommended_courier_id: Some(50),
    };
    let c = choose(Policy::Recommended, &market(), &COD_1KG, &rec);
    assert_eq!(chosen_id(&c), Some(50));
    assert!(
        c.explanation
            .starts_with("Shiprocket's recommended courier: DTDC at ₹58.00 (")
    );
}

#[test]
fn recommended_falls_back_to_balanced_and_says_why() {
    let balanced = choose(Policy::Balanced, &market(), &COD_1KG, &NO_REC);
    let ineligible = Recommendation {
        recommended_courier_id: Some(20),
    };
    for (rec, why) in [
        (
            NO_REC,
            "Shiprocket made no recommendation, so balanced instead: ",
        ),
        (
            ineligible,
            "Shiprocket's pick Xpressbees is excluded: does not collect cash on delivery, so balanced instead: ",
        ),
        (
            Recommendation {
                recommended_courier_id: Some(999),
            },
            "Shiprocket's pick (courier 999) did not quote, so balanced instead: ",
        ),
    ] {
        let c = choose(Policy::Recommended, &market(), &COD_1KG, &rec);
        assert_eq!(c.chosen, balanced.chosen);
        assert_eq!(c.ranking, balanced.ranking);
        assert!(c.explanation.starts_with(why), "{}", c.explanation);
    }
}

#[test]
fn ties_are_broken_by_rate_then_rating_then_courier_id() {
    let quotes = vec![
        quote(7, "G", 5000, Some(3), Some(4.0)),
        quote(5, "E", 5000, Some(3), Some(4.0)),
        quote(6, "F", 5000, Some(3), Some(4.5)),
        quote(4, "D", 4000, Some(3), Some(1.0)),
    ];
    let c = choose(Policy::Fastest, &quotes, &COD_1KG, &NO_REC);
    let order: Vec<i64> = c.ranking.iter().map(|r| r.quote.courier_id).collect();
    assert_eq!(order, [4, 6, 5, 7]);
}

#[test]
fn nothing_is_chosen_when_no_courier_is_eligible_or_none_quoted() {
    let only_prepaid = vec![Quote {
        cod: false,
        ..quote(1, "Xpressbees", 4000, Some(3), None)
    }];
    let c = choose(Policy::Cheapest, &only_prepaid, &COD_1KG, &NO_REC);
    assert_eq!(c.chosen, None);
    assert_eq!(
        c.explanation,
        "No eligible courier: Xpressbees excluded: does not collect cash on delivery."
    );
    let none = choose(Policy::Balanced, &[], &COD_1KG, &NO_REC);
    assert_eq!(none.chosen, None);
    assert_eq!(none.explanation, "No courier quoted for this shipment.");
}

#[test]
fn a_persons_override_is_taken_when_it_meets_the_constraints() {
    let c = choose_override(30, &market(), &COD_1KG).unwrap();
    assert_eq!(chosen_id(&c), Some(30));
    assert!(
        c.explanation
            .starts_with("Chosen by you: Blue Dart Air at ₹120.00 (3 others eligible; ")
    );
    assert!(c.ranking[0].eligible);
}

#[test]
fn a_persons_override_is_refused_with_a_clear_reason() {
    let err = choose_override(20, &market(), &COD_1KG).unwrap_err();
    assert_eq!(
        err,
        "Xpressbees cannot take this shipment: does not collect cash on delivery."
    );
    let err = choose_override(77, &market(), &COD_1KG).unwrap_err();
    assert!(err.starts_with("Courier 77 did not quote"), "{err}");
}

#[test]
fn after_a_refusal_the_next_courier_by_policy_is_tried_at_most_three_times() {
    let c = choose(Policy::Cheapest, &market(), &COD_1KG, &NO_REC);
    let next = |refused: &[i64]| next_after_refusal(&c, refused, MAX_HOPS).map(|q| q.courier_id);
    assert_eq!(next(&[]), Some(10));
    assert_eq!(next(&[10]), Some(50));
    assert_eq!(next(&[10, 50]), Some(40));
    assert_eq!(next(&[10, 50, 40]), Some(30));
    assert_eq!(
        next(&[10, 50, 40, 30]),
        None,
        "a fourth refusal ends the search"
    );
    assert_eq!(
        next(&[10, 10, 50]),
        Some(40),
        "a repeated refusal is one hop"
    );
    assert_eq!(next_after_refusal(&c, &[10], 0), None);
}

#[test]
fn policy_names_round_trip_and_parse_leniently() {
    for p in Policy::ALL {
        assert_eq!(Policy::parse(p.as_str()), Some(p));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, format!("\"{}\"", p.as_str()));
    }
    assert_eq!(Policy::parse(" Best-Rated "), Some(Policy::BestRated));
    assert_eq!(Policy::parse("quickest"), None);
}

fn any_quote() -> impl Strategy<Value = Quote> {
    (
        (
            1i64..25,
            1_000i64..50_000,
            any::<bool>(),
            prop::option::of(1u32..10),
        ),
        (
            prop::option::of(0.0f64..5.0),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.9),
        ),
        (prop::option::of(500u32..10_000), any::<bool>()),
    )
        .prop_map(
            |((id, rate, cod, days), (rating, blocked, pickup), (max_w, surface))| Quote {
                courier_id: id,
                courier_name: format!("Courier {id}"),
                rate_paise: rate,
                cod,
                estimated_days: days,
                etd: None,
                rating,
                blocked,
                pickup_available: pickup,
                max_weight_g: max_w,
                is_surface: surface,
            },
        )
}

fn any_policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(Policy::ALL.to_vec())
}

fn any_shipment() -> impl Strategy<Value = Shipment> {
    (any::<bool>(), 100u32..8_000).prop_map(|(cod, weight_g)| Shipment { cod, weight_g })
}

fn market_and_shuffle() -> impl Strategy<Value = (Vec<Quote>, Vec<Quote>)> {
    prop::collection::vec(any_quote(), 0..12)
        .prop_flat_map(|q| (Just(q.clone()), Just(q).prop_shuffle()))
}

proptest! {
    #[test]
    fn the_chosen_courier_is_always_eligible_and_collects_cash_for_a_cod_order(
        quotes in prop::collection::vec(any_quote(), 0..12), policy in any_policy(),
        shipment in any_shipment(), rec in prop::option::of(1i64..25),
    ) {
        let c = choose(policy, &quotes, &shipment, &Recommendation { recommended_courier_id: rec });
        prop_assert_eq!(c.ranking.len(), quotes.len());
        prop_assert_eq!(c.chosen.is_some(), c.ranking.iter().any(|r| r.eligible));
        if let Some(q) = &c.chosen {
            prop_assert!(!q.blocked && q.pickup_available);
            prop_assert!(!shipment.cod || q.cod, "a COD order went to a courier without COD");
            prop_assert!(q.max_weight_g.is_none_or(|m| shipment.weight_g <= m));
            prop_assert_eq!(Some(q), c.ranking.first().map(|r| &r.quote));
        }
        let first_excluded = c.ranking.iter().position(|r| !r.eligible).unwrap_or(c.ranking.len());
        prop_assert!(c.ranking[first_excluded..].iter().all(|r| !r.eligible), "eligible after excluded");
    }

    #[test]
    fn cheapest_is_never_beaten_on_rate_and_fastest_never_on_days(
        quotes in prop::collection::vec(any_quote(), 0..12), shipment in any_shipment(),
    ) {
        let cheapest = choose(Policy::Cheapest, &quotes, &shipment, &Recommendation::default());
        let fastest = choose(Policy::Fastest, &quotes, &shipment, &Recommendation::default());
        let eligible: Vec<&Quote> = cheapest.ranking.iter().filter(|r| r.eligible).map(|r| &r.quote).collect();
        if let Some(c) = &cheapest.chosen {
            prop_assert!(eligible.iter().all(|q| c.rate_paise <= q.rate_paise));
        }
        if let Some(f) = &fastest.chosen {
            for q in &eligible {
                if let Some(d) = q.estimated_days {
                    prop_assert!(f.estimated_days.is_some_and(|fd| fd <= d), "{:?} beat {:?}", q, f);
                }
            }
        }
    }

    #[test]
    fn the_next_courier_after_refusals_is_eligible_unrefused_and_within_the_hop_limit(
        quotes in prop::collection::vec(any_quote(), 0..12), policy in any_policy(),
        shipment in any_shipment(), refused in prop::collection::vec(1i64..25, 0..6), max_hops in 0usize..5,
    ) {
        let c = choose(policy, &quotes, &shipment, &Recommendation::default());
        if let Some(q) = next_after_refusal(&c, &refused, max_hops) {
            prop_assert!(!refused.contains(&q.courier_id));
            let mut distinct = refused.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert!(distinct.len() <= max_hops);
            prop_assert!(c.ranking.iter().any(|r| r.eligible && r.quote == q));
        }
    }

    #[test]
    fn choose_does_not_depend_on_the_order_of_the_quotes(
        (quotes, shuffled) in market_and_shuffle(), policy in any_policy(),
        shipment in any_shipment(), rec in prop::option::of(1i64..25),
    ) {
        let rec = Recommendation { recommended_courier_id: rec };
        prop_assert_eq!(choose(policy, &quotes, &shipment, &rec), choose(policy, &shuffled, &shipment, &rec));
    }
}
