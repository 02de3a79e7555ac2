//! Tests for the feature flag rules.

use proptest::prelude::*;

use super::*;

fn state(stage: Stage, percent: u8, staff: &[&str]) -> FlagState {
    let staff: Vec<String> = staff.iter().map(|s| s.to_string()).collect();
    FlagState::new(stage, percent, &staff).unwrap()
}

#[test]
fn the_config_forms_parse_and_bad_ones_are_refused() {
    assert_eq!(FlagState::parse_config("off").unwrap(), FlagState::off());
    assert_eq!(FlagState::parse_config(" ON ").unwrap().stage, Stage::On);
    let internal = FlagState::parse_config("internal:Asha@Brand.in, ok_ab12 ,").unwrap();
    assert_eq!(internal.stage, Stage::Internal);
    assert_eq!(internal.staff, vec!["asha@brand.in", "ok_ab12"]);
    assert_eq!(FlagState::parse_config("percent:25").unwrap().percent, 25);
    assert_eq!(FlagState::parse_config("percent:25%").unwrap().percent, 25);
    assert!(matches!(
        FlagState::parse_config("percent:101"),
        Err(FlagError::BadPercent(_))
    ));
    assert!(matches!(
        FlagState::parse_config("percent:"),
        Err(FlagError::BadPercent(_))
    ));
    assert_eq!(
        FlagState::parse_config("internal:"),
        Err(FlagError::NoStaff)
    );
    assert!(matches!(
        FlagState::parse_config("sometimes"),
        Err(FlagError::UnknownStage(_))
    ));
}

#[test]
fn off_refuses_everyone_and_on_allows_everyone() {
    let off = state(Stage::Off, 0, &["asha@brand.in"]);
    let on = state(Stage::On, 0, &[]);
    for actor in [None, Some("user:asha@brand.in"), Some("worker")] {
        assert!(!applies(&off, "ORD-1", actor).allowed);
        assert!(applies(&on, "ORD-1", actor).allowed);
    }
    assert!(applies(&off, "ORD-1", None).why.contains("switched off"));
}

#[test]
fn internal_allows_listed_emails_and_key_prefixes_only() {
    let s = state(Stage::Internal, 0, &["asha@brand.in", "ok_ab12"]);
    assert!(applies(&s, "ORD-1", Some("user:ASHA@brand.in")).allowed);
    assert!(applies(&s, "ORD-1", Some("apikey:ok_ab12")).allowed);
    assert!(!applies(&s, "ORD-1", Some("apikey:OK_AB12")).allowed);
    assert!(!applies(&s, "ORD-1", Some("user:ravi@brand.in")).allowed);
    assert!(!applies(&s, "ORD-1", Some("user:")).allowed);
    assert!(!applies(&s, "ORD-1", None).allowed);
    assert!(applies(&s, "ORD-1", None).why.contains("internal staff"));
}

#[test]
fn percent_zero_refuses_and_percent_hundred_allows_every_order() {
    let zero = state(Stage::Percent, 0, &[]);
    let all = state(Stage::Percent, 100, &[]);
    for n in 0..500 {
        let order = format!("ORD-{n}");
        assert!(!applies(&zero, &order, None).allowed);
        assert!(applies(&all, &order, None).allowed);
    }
}

#[test]
fn percent_lets_in_roughly_its_share_of_orders() {
    let s = state(Stage::Percent, 20, &[]);
    let inside = (0..10_000)
        .filter(|n| applies(&s, &format!("BRD-{n:06}"), None).allowed)
        .count();
    assert!((1_700..=2_300).contains(&inside), "{inside} of 10000");
}

#[test]
fn staff_keep_access_in_the_percent_stage() {
    let s = state(Stage::Percent, 0, &["asha@brand.in"]);
    let d = applies(&s, "ORD-1", Some("user:asha@brand.in"));
    assert!(d.allowed);
    assert!(d.why.contains("internal staff"));
}

#[test]
fn the_bucket_is_the_documented_hash_and_never_changes() {
    // First 8 bytes of SHA-256("ORD-1") big-endian, modulo 100: pinned so a refactor cannot
    // silently move orders between buckets.
    let expected = {
        let d = Sha256::digest(b"ORD-1");
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[..8]);
        (u64::from_be_bytes(b) % 100) as u8
    };
    assert_eq!(bucket("ORD-1"), expected);
    assert!(bucket("ORD-1") < 100);
}

#[test]
fn no_rollback_below_the_minimum_sample() {
    let t = Thresholds::default();
    let mut s = WindowStats::default();
    s.record(false, Some("server_error"), 19);
    assert_eq!(rollback_due(&s, &t), None);
    s.record(false, Some("server_error"), 1);
    assert!(rollback_due(&s, &t).is_some());
}

#[test]
fn an_error_rate_over_one_percent_rolls_back() {
    let mut s = WindowStats::default();
    s.record(true, None, 197);
    s.record(false, Some("timeout"), 3);
    let why = rollback_due(&s, &Thresholds::default()).unwrap();
    assert!(why.starts_with("Error rate 1.5 %"), "{why}");
    assert!(why.contains("197 of 200"), "{why}");
}

#[test]
fn order_problems_lower_the_success_rate_without_counting_as_errors() {
    let mut s = WindowStats::default();
    s.record(true, None, 89);
    s.record(false, Some("not_serviceable"), 11);
    assert_eq!(s.errors, 0);
    let why = rollback_due(&s, &Thresholds::default()).unwrap();
    assert!(why.starts_with("Success rate 89.0 %"), "{why}");
    s.record(true, None, 20);
    assert_eq!(rollback_due(&s, &Thresholds::default()), None);
}

#[test]
fn attempts_stopped_by_the_flag_are_not_judged() {
    let mut s = WindowStats::default();
    s.record(false, Some("feature_disabled"), 50);
    s.record(true, None, 20);
    assert_eq!((s.settled, s.failed, s.errors), (20, 0, 0));
    assert_eq!(rollback_due(&s, &Thresholds::default()), None);
}

#[test]
fn a_failure_without_a_class_is_an_error() {
    assert!(is_system_error(None));
    assert!(is_system_error(Some("server_error")));
    assert!(!is_system_error(Some("courier_refused")));
}

#[test]
fn the_gates_follow_the_spec() {
    let mut f = StageFigures::default();
    assert_eq!(all_met(&gate_checks(Phase::Alpha, &f)), None);
    f.stats.record(true, None, 10);
    f.awbs = 10;
    f.orders_fulfilled = 10;
    assert_eq!(all_met(&gate_checks(Phase::Alpha, &f)), Some(true));
    f.stats.record(false, Some("server_error"), 1);
    assert_eq!(all_met(&gate_checks(Phase::Alpha, &f)), Some(false));
    let mut g = StageFigures::default();
    g.stats.record(true, None, 200);
    g.awbs = 200;
    g.shipped_orders = 200;
    g.mean_ship_secs = Some(47 * 3600);
    g.on_time = 197;
    assert_eq!(all_met(&gate_checks(Phase::Beta, &g)), Some(true));
    assert_eq!(all_met(&gate_checks(Phase::Ga, &g)), Some(false));
    g.on_time = 200;
    assert_eq!(all_met(&gate_checks(Phase::Ga, &g)), Some(true));
}

proptest! {
    #[test]
    fn percent_is_stable_for_an_order(order in "[A-Z]{2,4}-[0-9]{1,8}", p in 0u8..=100) {
        let s = state(Stage::Percent, p, &[]);
        let first = applies(&s, &order, None);
        for _ in 0..3 {
            prop_assert_eq!(&applies(&s, &order, None), &first);
        }
        prop_assert_eq!(first.allowed, bucket(&order) < p);
    }

    #[test]
    fn raising_the_percent_never_removes_an_order(order in "\\PC{1,20}", p in 0u8..=100, q in 0u8..=100) {
        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
        let at_lo = applies(&state(Stage::Percent, lo, &[]), &order, None).allowed;
        let at_hi = applies(&state(Stage::Percent, hi, &[]), &order, None).allowed;
        prop_assert!(!at_lo || at_hi);
    }
}

#[test]
fn each_stage_has_a_minimum_sample_that_fits_its_volume() {
    let t = Thresholds::default();
    // Alpha has 5–10 orders: one error in its first three attempts is enough to roll back.
    assert_eq!(t.min_sample_for(Stage::Internal), 3);
    assert_eq!(t.min_sample_for(Stage::Percent), 10);
    assert_eq!(t.min_sample_for(Stage::On), 20);
    let mut s = WindowStats::default();
    s.record(true, None, 2);
    s.record(false, Some("server_error"), 1);
    assert!(rollback_due(&s, &t.for_stage(Stage::Internal)).is_some());
    assert_eq!(rollback_due(&s, &t.for_stage(Stage::On)), None);
    // A smaller configured minimum applies to every stage.
    let small = Thresholds { min_sample: 2, ..t };
    assert_eq!(small.min_sample_for(Stage::Internal), 2);
    assert_eq!(small.min_sample_for(Stage::Percent), 2);
}

#[test]
fn critical_data_loss_rolls_back_on_one_case() {
    assert_eq!(critical_loss_due(&Integrity::default()), None);
    let why = critical_loss_due(&Integrity {
        duplicated: 1,
        lost: 0,
    })
    .unwrap();
    assert!(
        why.contains("1 order(s) with a duplicated shipment"),
        "{why}"
    );
    let why = critical_loss_due(&Integrity {
        duplicated: 0,
        lost: 2,
    })
    .unwrap();
    assert!(
        why.contains("2 order(s) whose shipment or tracking was lost"),
        "{why}"
    );
}
