use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn every_internal_range_is_refused_and_public_addresses_pass() {
    for refused in [
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.255.0.9",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.1",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::10.0.0.1",
        "64:ff9b::10.1.2.3",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ] {
        assert!(
            internal_range(ip(refused)).is_some(),
            "{refused} must be refused"
        );
    }
    for public in [
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.1",
        "172.15.0.1",
        "172.32.0.1",
        "192.169.0.1",
        "198.20.0.1",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ] {
        assert_eq!(internal_range(ip(public)), None, "{public} is public");
    }
}

#[test]
fn literal_hosts_in_any_spelling_are_refused_before_any_connection() {
    let policy = EgressPolicy {
        allow_insecure: true,
        ..EgressPolicy::default()
    };
    for url in [
        "http://127.0.0.1:6379/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:7f00:1]/",
        "http://0.0.0.0/",
    ] {
        let parsed = Url::parse(url).unwrap();
        assert!(
            matches!(policy.check_url(&parsed), Err(Refused::Internal(_))),
            "{url} → {:?}",
            policy.check_url(&parsed)
        );
    }
    assert_eq!(
        policy.check_url(&Url::parse("http://93.184.215.14/hook").unwrap()),
        Ok(())
    );
}

#[test]
fn http_needs_the_override_and_other_schemes_never_pass() {
    let strict = EgressPolicy::default();
    let url = Url::parse("http://example.com/hook").unwrap();
    assert_eq!(strict.check_url(&url), Err(Refused::Insecure));
    assert_eq!(
        strict.check_url(&Url::parse("https://example.com/hook").unwrap()),
        Ok(())
    );
    assert_eq!(
        strict.check_url(&Url::parse("ftp://example.com/").unwrap()),
        Err(Refused::NotHttp)
    );
    let lax = EgressPolicy {
        allow_insecure: true,
        ..EgressPolicy::default()
    };
    assert_eq!(lax.check_url(&url), Ok(()));
}

#[test]
fn an_allowed_network_lets_exactly_its_addresses_through() {
    let get = |k: &str| match k {
        "ORDERLY_WEBHOOK_ALLOWED_NETWORKS" => Some("10.20.0.0/16, 127.0.0.1".to_string()),
        "ORDERLY_ALLOW_INSECURE_WEBHOOKS" => Some("1".to_string()),
        _ => None,
    };
    let policy = EgressPolicy::from_lookup(&get).unwrap();
    assert!(policy.allow_insecure);
    assert_eq!(policy.check_ip(ip("10.20.3.4")), Ok(()));
    assert_eq!(policy.check_ip(ip("::ffff:10.20.3.4")), Ok(()));
    assert_eq!(policy.check_ip(ip("127.0.0.1")), Ok(()));
    assert!(policy.check_ip(ip("127.0.0.2")).is_err());
    assert!(policy.check_ip(ip("10.21.0.1")).is_err());
    assert!(policy.check_ip(ip("169.254.169.254")).is_err());
    for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x"] {
        let get = |k: &str| (k == "ORDERLY_WEBHOOK_ALLOWED_NETWORKS").then(|| bad.to_string());
        assert!(EgressPolicy::from_lookup(&get).is_err(), "{bad}");
    }
    let get = |k: &str| (k == "ORDERLY_ALLOW_INSECURE_WEBHOOKS").then(|| "yes".to_string());
    assert!(EgressPolicy::from_lookup(&get).is_err());
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_at_registration() {
    let policy = EgressPolicy::default();
    let url = Url::parse("https://localhost:9/hook").unwrap();
    assert!(matches!(
        policy.check_destination(&url).await,
        Err(Refused::Internal(_))
    ));
    // An unresolvable name is left to the connect-time check.
    let url = Url::parse("https://no-such-host.invalid/hook").unwrap();
    assert_eq!(policy.check_destination(&url).await, Ok(()));
}
