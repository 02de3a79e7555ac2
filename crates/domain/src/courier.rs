//! Choosing a courier from Shiprocket's quotes: hard constraints, five policies, the person's
//! override and the next courier after a refusal. Pure: the caller converts the client's quotes.
//!
//! Every eligible quote is ranked by the policy's key, then by rate (lower first), rating (higher
//! first) and courier id (lower first), so the choice never depends on the order the quotes came in.
//! `balanced` scores each eligible quote `0.5·price + 0.3·speed + 0.2·rating`, each part in 0..=1
//! (see [`balanced_scores`]).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

mod explain;

/// Weight of the price part in the `balanced` score.
pub const WEIGHT_RATE: f64 = 0.5;
/// Weight of the speed part in the `balanced` score.
pub const WEIGHT_DAYS: f64 = 0.3;
/// Weight of the rating part in the `balanced` score.
pub const WEIGHT_RATING: f64 = 0.2;
/// Refusals after which [`next_after_refusal`] gives up, as the issue asks.
pub const MAX_HOPS: usize = 3;

/// One courier's offer for one shipment, converted from Shiprocket's serviceability answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The id to pass to AWB assignment (`courier_company_id`).
    pub courier_id: i64,
    /// The courier's name as Shiprocket shows it.
    pub courier_name: String,
    /// The total price in paise.
    pub rate_paise: i64,
    /// Collects cash on delivery.
    pub cod: bool,
    /// Days to deliver, when Shiprocket says.
    pub estimated_days: Option<u32>,
    /// Estimated delivery date as Shiprocket sent it.
    pub etd: Option<String>,
    /// Shiprocket's courier rating, 0 to 5.
    pub rating: Option<f64>,
    /// Blocked for this account or route.
    pub blocked: bool,
    /// Will pick up from the warehouse.
    pub pickup_available: bool,
    /// Heaviest parcel it takes, in grams (`None` or `Some(0)`: no known limit).
    pub max_weight_g: Option<u32>,
    /// Surface (true) or air.
    pub is_surface: bool,
}

/// How to pick among eligible couriers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Lowest rate.
    Cheapest,
    /// Fewest estimated days (unknown days last).
    Fastest,
    /// Highest rating (unrated last).
    BestRated,
    /// Shiprocket's recommendation; `balanced` when it is absent or ineligible.
    Recommended,
    /// Best weighted score of price, speed and rating.
    Balanced,
}

impl Policy {
    /// Every policy.
    pub const ALL: [Policy; 5] = [
        Policy::Cheapest,
        Policy::Fastest,
        Policy::BestRated,
        Policy::Recommended,
        Policy::Balanced,
    ];

    /// The snake_case name used in settings and storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Policy::Cheapest => "cheapest",
            Policy::Fastest => "fastest",
            Policy::BestRated => "best_rated",
            Policy::Recommended => "recommended",
            Policy::Balanced => "balanced",
        }
    }

    /// The policy named `s` (case-insensitive; `-` and spaces count as `_`), if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Policy> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Policy::ALL.into_iter().find(|p| p.as_str() == norm)
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What about the parcel constrains the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shipment {
    /// Cash on delivery: only couriers that collect cash qualify.
    pub cod: bool,
    /// Parcel weight in grams.
    pub weight_g: u32,
}

/// Shiprocket's own pick for the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recommendation {
    /// `recommended_courier_company_id`, when sent.
    pub recommended_courier_id: Option<i64>,
}

/// A quote with its place in the choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// The quote.
    pub quote: Quote,
    /// Passes every hard constraint.
    pub eligible: bool,
    /// Why not, when not eligible (reasons joined with ", ").
    pub excluded_because: Option<String>,
    /// The `balanced` score (0..=1) among the eligible quotes, whatever the policy; `None` when excluded.
    pub score: Option<f64>,
}

/// The courier picked for a shipment, with every quote ranked and the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The policy applied (`Balanced` orders the fallbacks of a person's override).
    pub policy: Policy,
    /// The courier to book, `None` when no quote is eligible.
    pub chosen: Option<Quote>,
    /// One sentence saying why, for the person.
    pub explanation: String,
    /// Eligible quotes first in policy order (the chosen one first), then the excluded ones.
    pub ranking: Vec<Ranked>,
}

/// Why `quote` cannot carry `shipment`, or `None` when it can.
#[must_use]
pub fn exclusion(quote: &Quote, shipment: &Shipment) -> Option<String> {
    let mut reasons: Vec<String> = Vec::new();
    if quote.blocked {
        reasons.push("blocked".into());
    }
    if shipment.cod && !quote.cod {
        reasons.push("does not collect cash on delivery".into());
    }
    if let Some(max) = quote
        .max_weight_g
        .filter(|m| *m > 0 && shipment.weight_g > *m)
    {
        reasons.push(format!("over its {} limit", explain::kilograms(max)));
    }
    if !quote.pickup_available {
        reasons.push("no pickup from your warehouse".into());
    }
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

/// Picks a courier by `policy` among the quotes that pass the hard constraints.
#[must_use]
pub fn choose(
    policy: Policy,
    quotes: &[Quote],
    shipment: &Shipment,
    rec: &Recommendation,
) -> Choice {
    let mut ranking = rank(quotes, shipment);
    let mut fallback = None;
    if policy == Policy::Recommended {
        sort_eligible(&mut ranking, Policy::Balanced);
        match recommended_eligible(&ranking, rec) {
            Ok(pos) => {
                let pick = ranking.remove(pos);
                ranking.insert(0, pick);
            }
            Err(why) => fallback = Some(why),
        }
    } else {
        sort_eligible(&mut ranking, policy);
    }
    let chosen = ranking
        .first()
        .filter(|r| r.eligible)
        .map(|r| r.quote.clone());
    let explanation = explain::explain(policy, fallback.as_deref(), &ranking);
    Choice {
        policy,
        chosen,
        explanation,
        ranking,
    }
}

/// The person's own pick. It must still pass the hard constraints; the other eligible quotes follow
/// in `balanced` order as fallbacks for a refusal.
///
/// # Errors
/// A sentence for the person: the courier did not quote, or why it cannot take this shipment.
pub fn choose_override(
    courier_id: i64,
    quotes: &[Quote],
    shipment: &Shipment,
) -> Result<Choice, String> {
    let mut ranking = rank(quotes, shipment);
    sort_eligible(&mut ranking, Policy::Balanced);
    let Some(pos) = ranking
        .iter()
        .position(|r| r.quote.courier_id == courier_id)
    else {
        return Err(format!(
            "Courier {courier_id} did not quote for this shipment; pick one of the listed couriers."
        ));
    };
    if let Some(why) = &ranking[pos].excluded_because {
        return Err(format!(
            "{} cannot take this shipment: {why}.",
            ranking[pos].quote.courier_name
        ));
    }
    let pick = ranking.remove(pos);
    ranking.insert(0, pick);
    let explanation = explain::explain_override(&ranking);
    Ok(Choice {
        policy: Policy::Balanced,
        chosen: ranking.first().map(|r| r.quote.clone()),
        explanation,
        ranking,
    })
}

/// The next eligible courier in the choice's order that has not refused, or `None` when none is
/// left or more than `max_hops` distinct couriers have already refused (each refusal is one hop).
#[must_use]
pub fn next_after_refusal(choice: &Choice, refused: &[i64], max_hops: usize) -> Option<Quote> {
    let mut distinct = refused.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > max_hops {
        return None;
    }
    choice
        .ranking
        .iter()
        .filter(|r| r.eligible)
        .find(|r| distinct.binary_search(&r.quote.courier_id).is_err())
        .map(|r| r.quote.clone())
}

/// The `balanced` score of each quote in `eligible`, in the same order, each in 0..=1:
/// `0.5·price + 0.3·speed + 0.2·rating` where
/// price = `(max_rate − rate) / (max_rate − min_rate)` (1 when all rates are equal),
/// speed = `(max_days − days) / (max_days − min_days)` over quotes with known days (1 when equal;
/// unknown days score 0), rating = `rating / 5` clamped to 0..=1 (unrated scores 0).
#[must_use]
pub fn balanced_scores(eligible: &[&Quote]) -> Vec<f64> {
    let rates = eligible.iter().map(|q| q.rate_paise);
    let (min_r, max_r) = (rates.clone().min(), rates.max());
    let days = eligible.iter().filter_map(|q| q.estimated_days);
    let (min_d, max_d) = (days.clone().min(), days.max());
    eligible
        .iter()
        .map(|q| {
            let price = spread(
                q.rate_paise as f64,
                min_r.map(|v| v as f64),
                max_r.map(|v| v as f64),
            );
            let speed = q.estimated_days.map_or(0.0, |d| {
                spread(f64::from(d), min_d.map(f64::from), max_d.map(f64::from))
            });
            let rating = rating_of(q).map_or(0.0, |r| (r / 5.0).clamp(0.0, 1.0));
            WEIGHT_RATE * price + WEIGHT_DAYS * speed + WEIGHT_RATING * rating
        })
        .collect()
}

/// Where `v` sits between `max` (0) and `min` (1): lower is better.
fn spread(v: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    match (min, max) {
        (Some(lo), Some(hi)) if hi > lo => ((hi - v) / (hi - lo)).clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// The rating when it is a real number.
fn rating_of(q: &Quote) -> Option<f64> {
    q.rating.filter(|r| r.is_finite())
}

/// Every quote with its eligibility and balanced score, excluded ones in a stable order.
fn rank(quotes: &[Quote], shipment: &Shipment) -> Vec<Ranked> {
    let mut ranking: Vec<Ranked> = quotes
        .iter()
        .map(|q| {
            let excluded_because = exclusion(q, shipment);
            Ranked {
                quote: q.clone(),
                eligible: excluded_because.is_none(),
                excluded_because,
                score: None,
            }
        })
        .collect();
    let eligible: Vec<&Quote> = ranking
        .iter()
        .filter(|r| r.eligible)
        .map(|r| &r.quote)
        .collect();
    let scores = balanced_scores(&eligible);
    for (r, s) in ranking.iter_mut().filter(|r| r.eligible).zip(scores) {
        r.score = Some(s);
    }
    ranking
}

/// Sorts eligible first in `policy` order, then the excluded by rate.
fn sort_eligible(ranking: &mut [Ranked], policy: Policy) {
    ranking.sort_by(|a, b| {
        b.eligible
            .cmp(&a.eligible)
            .then_with(|| match a.eligible {
                true => primary(policy, a, b),
                false => Ordering::Equal,
            })
            .then_with(|| tie_break(&a.quote, &b.quote))
    });
}

/// The policy's own key (`Equal` for `Recommended`, which is handled by the caller).
fn primary(policy: Policy, a: &Ranked, b: &Ranked) -> Ordering {
    let (qa, qb) = (&a.quote, &b.quote);
    match policy {
        Policy::Cheapest => qa.rate_paise.cmp(&qb.rate_paise),
        Policy::Fastest => none_last(qa.estimated_days, qb.estimated_days, |x, y| x.cmp(y)),
        Policy::BestRated => none_last(rating_of(qa), rating_of(qb), |x, y| y.total_cmp(x)),
        Policy::Balanced => none_last(a.score, b.score, |x, y| y.total_cmp(x)),
        Policy::Recommended => Ordering::Equal,
    }
}

/// Compares two options with `cmp`, `None` after every `Some`.
fn none_last<T>(a: Option<T>, b: Option<T>, cmp: impl Fn(&T, &T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cmp(&x, &y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Rate, then rating (higher first), then courier id, then every other field: a total order.
fn tie_break(a: &Quote, b: &Quote) -> Ordering {
    a.rate_paise
        .cmp(&b.rate_paise)
        .then_with(|| none_last(rating_of(a), rating_of(b), |x, y| y.total_cmp(x)))
        .then_with(|| a.courier_id.cmp(&b.courier_id))
        .then_with(|| a.courier_name.cmp(&b.courier_name))
        .then_with(|| none_last(a.estimated_days, b.estimated_days, |x, y| x.cmp(y)))
        .then_with(|| a.etd.cmp(&b.etd))
        .then_with(|| {
            (a.cod, a.blocked, a.pickup_available).cmp(&(b.cod, b.blocked, b.pickup_available))
        })
        .then_with(|| (a.max_weight_g, a.is_surface).cmp(&(b.max_weight_g, b.is_surface)))
        .then_with(|| {
            let bits = |q: &Quote| q.rating.map(f64::to_bits);
            bits(a).cmp(&bits(b))
        })
}

/// The position of Shiprocket's pick when it quoted and is eligible, or why not (for the
/// explanation). `ranking` is sorted, eligible first, so an eligible duplicate is found first.
fn recommended_eligible(ranking: &[Ranked], rec: &Recommendation) -> Result<usize, String> {
    let Some(id) = rec.recommended_courier_id else {
        return Err("Shiprocket made no recommendation".into());
    };
    match ranking.iter().position(|r| r.quote.courier_id == id) {
        None => Err(format!("Shiprocket's pick (courier {id}) did not quote")),
        Some(pos) => match &ranking[pos].excluded_because {
            Some(why) => Err(format!(
                "Shiprocket's pick {} is excluded: {why}",
                ranking[pos].quote.courier_name
            )),
            None => Ok(pos),
        },
    }
}
