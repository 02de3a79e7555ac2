//! The one-sentence explanation of a courier choice, in words a person reads.

use super::{Policy, Quote, Ranked, rating_of};
use crate::money::Money;

/// Excluded couriers named one by one before the rest are only counted.
const EXCLUDED_NAMED: usize = 3;

/// Why the first of `ranking` was chosen by `policy`; `fallback` says why `recommended` fell back.
pub(super) fn explain(policy: Policy, fallback: Option<&str>, ranking: &[Ranked]) -> String {
    let Some(first) = ranking.first().filter(|r| r.eligible) else {
        return no_choice(ranking);
    };
    let q = &first.quote;
    let lead = match (policy, fallback) {
        (Policy::Cheapest, _) => format!(
            "Cheapest eligible courier: {} at {}",
            q.courier_name,
            inr(q)
        ),
        (Policy::Fastest, _) => match q.estimated_days {
            Some(_) => format!(
                "Fastest eligible courier: {} in {} at {}",
                q.courier_name,
                days(q),
                inr(q)
            ),
            None => format!(
                "Fastest eligible courier: {} at {}, though none gave a delivery estimate",
                q.courier_name,
                inr(q)
            ),
        },
        (Policy::BestRated, _) => format!(
            "Best-rated eligible courier: {}, {}, at {}",
            q.courier_name,
            rated(q),
            inr(q)
        ),
        (Policy::Recommended, None) => {
            format!(
                "Shiprocket's recommended courier: {} at {}",
                q.courier_name,
                inr(q)
            )
        }
        (Policy::Recommended, Some(why)) => {
            format!("{why}, so balanced instead: {}", balanced_lead(q))
        }
        (Policy::Balanced, _) => format!(
            "Best balance of price, speed and rating: {}",
            balanced_lead(q)
        ),
    };
    let score = match (policy, fallback, first.score) {
        (Policy::Balanced, _, Some(s)) | (Policy::Recommended, Some(_), Some(s)) => {
            Some(format!("score {s:.2} of 1"))
        }
        _ => None,
    };
    format!("{lead} ({})", tail(score, ranking))
}

/// The sentence for a person's own pick (first of `ranking`).
pub(super) fn explain_override(ranking: &[Ranked]) -> String {
    match ranking.first() {
        Some(first) => format!(
            "Chosen by you: {} at {} ({})",
            first.quote.courier_name,
            inr(&first.quote),
            tail(None, ranking)
        ),
        None => no_choice(ranking),
    }
}

/// When nothing is eligible: say why for each courier.
fn no_choice(ranking: &[Ranked]) -> String {
    if ranking.is_empty() {
        return "No courier quoted for this shipment.".into();
    }
    format!("No eligible courier: {}.", excluded_summary(ranking))
}

/// "score …; 3 others eligible; X excluded: reason".
fn tail(score: Option<String>, ranking: &[Ranked]) -> String {
    let others = ranking
        .iter()
        .filter(|r| r.eligible)
        .count()
        .saturating_sub(1);
    let mut parts: Vec<String> = score.into_iter().collect();
    parts.push(match others {
        0 => "no other eligible".into(),
        1 => "1 other eligible".into(),
        n => format!("{n} others eligible"),
    });
    if ranking.iter().any(|r| !r.eligible) {
        parts.push(excluded_summary(ranking));
    }
    parts.join("; ")
}

/// "A excluded: reason; B excluded: reason; and 4 more excluded".
fn excluded_summary(ranking: &[Ranked]) -> String {
    let excluded: Vec<&Ranked> = ranking.iter().filter(|r| !r.eligible).collect();
    let mut parts: Vec<String> = excluded
        .iter()
        .take(EXCLUDED_NAMED)
        .map(|r| {
            format!(
                "{} excluded: {}",
                r.quote.courier_name,
                r.excluded_because.as_deref().unwrap_or("not eligible")
            )
        })
        .collect();
    if excluded.len() > EXCLUDED_NAMED {
        parts.push(format!(
            "and {} more excluded",
            excluded.len() - EXCLUDED_NAMED
        ));
    }
    parts.join("; ")
}

/// "Name at ₹54.00, 3 days, rated 4.2".
fn balanced_lead(q: &Quote) -> String {
    format!(
        "{} at {}, {}, {}",
        q.courier_name,
        inr(q),
        days(q),
        rated(q)
    )
}

/// "3 days", "1 day" or "unknown days".
fn days(q: &Quote) -> String {
    match q.estimated_days {
        Some(1) => "1 day".into(),
        Some(d) => format!("{d} days"),
        None => "unknown days".into(),
    }
}

/// "rated 4.2 of 5" or "unrated".
fn rated(q: &Quote) -> String {
    rating_of(q).map_or_else(|| "unrated".into(), |r| format!("rated {r:.1} of 5"))
}

/// The rate as rupees with Indian grouping.
fn inr(q: &Quote) -> String {
    Money::from_paise(q.rate_paise).format_inr()
}

/// Grams as kilograms without trailing zeros: 5000 → "5 kg", 4500 → "4.5 kg", 250 → "0.25 kg".
pub(super) fn kilograms(grams: u32) -> String {
    let (kg, rest) = (grams / 1000, grams % 1000);
    if rest == 0 {
        return format!("{kg} kg");
    }
    let frac = format!("{rest:03}");
    format!("{kg}.{} kg", frac.trim_end_matches('0'))
}
