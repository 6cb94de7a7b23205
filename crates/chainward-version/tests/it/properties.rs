//! Property tests: total orders, display round trips, range evaluation against a naive
//! reference, and no panics on arbitrary input.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use chainward_version::osv::{Affected, AffectedRange, Event, RangeKind};
use chainward_version::{
    Ecosystem, Pep440Version, Scheme, SemVer, Version, is_affected, parse_range,
};
use proptest::prelude::*;

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u64..12).prop_map(|n| n.to_string()),
        1 => Just("18446744073709551615".to_owned()),
        1 => Just("18446744073709551616".to_owned()),
        1 => Just("99999999999999999999999999".to_owned()),
        1 => Just("007".to_owned()),
    ]
}

fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        Just("alpha".to_owned()),
        Just("beta".to_owned()),
        Just("rc".to_owned()),
        Just("Alpha".to_owned()),
        Just("x-1".to_owned()),
        Just("0a".to_owned()),
        Just("-".to_owned()),
    ]
}

prop_compose! {
    fn semver_string()(
        prefix in prop_oneof![Just(""), Just("v"), Just("="), Just(" v")],
        parts in prop::collection::vec(number(), 1..5),
        pre in prop::option::of(prop::collection::vec(identifier(), 1..4)),
        build in prop::option::of(prop::collection::vec(identifier(), 1..3)),
    ) -> String {
        let mut s = format!("{prefix}{}", parts.join("."));
        if let Some(pre) = pre {
            s.push('-');
            s.push_str(&pre.join("."));
        }
        if let Some(build) = build {
            s.push('+');
            s.push_str(&build.join("."));
        }
        s
    }
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just("."), Just("-"), Just("_")]
}

prop_compose! {
    fn pep440_string()(
        v in prop_oneof![Just(""), Just("v"), Just("V")],
        epoch in prop::option::of(number()),
        release in prop::collection::vec(number(), 1..5),
        pre in prop::option::of((separator(), prop_oneof![
            Just("a"), Just("alpha"), Just("b"), Just("BETA"), Just("rc"), Just("c"), Just("pre"), Just("preview")
        ], separator(), prop::option::of(number()))),
        post in prop::option::of(prop_oneof![
            number().prop_map(|n| format!("-{n}")),
            (separator(), prop_oneof![Just("post"), Just("rev"), Just("r")], separator(), prop::option::of(number()))
                .prop_map(|(a, w, b, n)| format!("{a}{w}{}", n.map(|n| format!("{b}{n}")).unwrap_or_default())),
        ]),
        dev in prop::option::of((separator(), separator(), prop::option::of(number()))),
        local in prop::option::of(prop::collection::vec(prop_oneof![number(), Just("ubuntu".to_owned()), Just("A1".to_owned())], 1..4)),
    ) -> String {
        let mut s = v.to_owned();
        if let Some(e) = epoch {
            s.push_str(&format!("{e}!"));
        }
        s.push_str(&release.join("."));
        if let Some((a, word, b, n)) = pre {
            s.push_str(a);
            s.push_str(word);
            if let Some(n) = n {
                s.push_str(b);
                s.push_str(&n);
            }
        }
        if let Some(post) = post {
            s.push_str(&post);
        }
        if let Some((a, b, n)) = dev {
            s.push_str(a);
            s.push_str("dev");
            if let Some(n) = n {
                s.push_str(b);
                s.push_str(&n);
            }
        }
        if let Some(local) = local {
            s.push('+');
            s.push_str(&local.join("."));
        }
        s
    }
}

/// PEP 440 strings, legacy strings and other junk.
fn python_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => pep440_string(),
        1 => "[0-9a-zA-Z.+_:!-]{1,14}",
        1 => "\\PC{1,10}",
    ]
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

fn check_order<T: Ord + Hash + std::fmt::Debug>(a: &T, b: &T, c: &T) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.cmp(b), b.cmp(a).reverse(), "antisymmetry");
    prop_assert_eq!(a.cmp(a), Ordering::Equal, "reflexivity");
    if a <= b && b <= c {
        prop_assert!(a <= c, "transitivity: {:?} <= {:?} <= {:?}", a, b, c);
    }
    if a >= b && b >= c {
        prop_assert!(a >= c, "transitivity: {:?} >= {:?} >= {:?}", a, b, c);
    }
    if a == b {
        prop_assert_eq!(hash_of(a), hash_of(b), "Hash agrees with Eq");
    }
    Ok(())
}

proptest! {
    #[test]
    fn semver_order_is_total(a in semver_string(), b in semver_string(), c in semver_string()) {
        let (a, b, c) = (SemVer::parse(&a).unwrap(), SemVer::parse(&b).unwrap(), SemVer::parse(&c).unwrap());
        check_order(&a, &b, &c)?;
    }

    #[test]
    fn pep440_order_is_total(a in python_string(), b in python_string(), c in python_string()) {
        let parse = |s: &str| Pep440Version::parse(s).ok();
        if let (Some(a), Some(b), Some(c)) = (parse(&a), parse(&b), parse(&c)) {
            check_order(&a, &b, &c)?;
        }
    }

    #[test]
    fn semver_display_round_trips(s in semver_string()) {
        let v = SemVer::parse(&s).unwrap();
        let shown = v.to_string();
        let again = SemVer::parse(&shown).unwrap();
        prop_assert_eq!(&again, &v);
        prop_assert_eq!(again.to_string(), shown);
        prop_assert_eq!(again.build(), v.build());
    }

    #[test]
    fn pep440_display_round_trips(s in python_string()) {
        if let Ok(v) = Pep440Version::parse(&s) {
            let shown = v.to_string();
            let again = Pep440Version::parse(&shown).unwrap();
            prop_assert_eq!(&again, &v);
            prop_assert_eq!(again.to_string(), shown);
            prop_assert_eq!(again.is_legacy(), v.is_legacy());
        }
    }

    #[test]
    fn generated_pep440_strings_are_valid(s in pep440_string()) {
        prop_assert!(Pep440Version::parse_strict(&s).is_ok(), "{s:?}");
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,24}", t in "[0-9a-z.*xX^~<>=|, +-]{0,24}") {
        for input in [&s, &t] {
            let _ = SemVer::parse(input);
            let _ = Pep440Version::parse(input);
            let _ = Pep440Version::parse_strict(input);
            for eco in [Ecosystem::Npm, Ecosystem::CratesIo, Ecosystem::PyPI] {
                if let Ok(req) = parse_range(eco, input) {
                    let _ = req.matches_str("1.2.3");
                    let _ = req.matches_str(input);
                }
            }
        }
    }

    #[test]
    fn osv_evaluation_never_panics(
        version in "\\PC{0,12}",
        events in prop::collection::vec(("[0-3]", "\\PC{0,8}"), 0..6),
        json in "\\PC{0,64}",
    ) {
        let events: Vec<Event> = events.into_iter().map(|(k, v)| match k.as_str() {
            "0" => Event::Introduced(v),
            "1" => Event::Fixed(v),
            "2" => Event::LastAffected(v),
            _ => Event::Limit(v),
        }).collect();
        for kind in [RangeKind::Semver, RangeKind::Ecosystem] {
            let affected = vec![Affected {
                package: Some(chainward_version::osv::AffectedPackage {
                    ecosystem: "PyPI".to_owned(),
                    name: "p".to_owned(),
                    purl: None,
                }),
                ranges: vec![AffectedRange { kind, repo: None, events: events.clone() }],
                versions: vec![version.clone()],
            }];
            let _ = is_affected(Ecosystem::PyPI, "p", &version, &affected);
            let _ = chainward_version::assess(Ecosystem::PyPI, "p", &version, &affected);
        }
        let _ = serde_json::from_str::<Vec<Affected>>(&json);
    }
}

// ---------------------------------------------------------------------------------------
// OSV range evaluation against a naive reference
// ---------------------------------------------------------------------------------------

/// The OSV schema's pseudo-code, literally: check limits, sort events stably by version
/// (`introduced: "0"` first), and walk them.
fn reference(scheme: Scheme, v: &Version, events: &[Event]) -> bool {
    let parse = |s: &str| scheme.parse(s).expect("pool versions parse");
    let limits: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    if !limits.is_empty() && !limits.iter().any(|l| l.contains('*') || *v < parse(l)) {
        return false;
    }
    let key = |e: &Event| match e {
        Event::Introduced(s) if s == "0" => None,
        other => Some(parse(other.version())),
    };
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| !matches!(e, Event::Limit(_)))
        .collect();
    sorted.sort_by_key(|e| key(e)); // stable; None sorts first
    let mut vulnerable = false;
    for e in sorted {
        match e {
            Event::Introduced(s) if s == "0" => vulnerable = true,
            Event::Introduced(s) if *v >= parse(s) => vulnerable = true,
            Event::Fixed(s) if *v >= parse(s) => vulnerable = false,
            Event::LastAffected(s) if *v > parse(s) => vulnerable = false,
            _ => {}
        }
    }
    vulnerable
}

fn event_strategy(pool: &'static [&'static str]) -> impl Strategy<Value = Event> {
    (0..4u8, prop::sample::select(pool)).prop_map(|(kind, v)| match kind {
        0 => Event::Introduced(v.to_owned()),
        1 => Event::Fixed(v.to_owned()),
        2 => Event::LastAffected(v.to_owned()),
        _ => Event::Limit(v.to_owned()),
    })
}

const SEMVER_POOL: &[&str] = &[
    "0",
    "0.0.0-0",
    "0.0.1",
    "1",
    "1.0.0",
    "1.0.0-rc.1",
    "1.0.0+b",
    "1.2.0",
    "1.2",
    "2.0.0-alpha",
    "2.0.0",
    "3.1.4",
    "10.0.0",
];
const PEP440_POOL: &[&str] = &[
    "0",
    "0.0.1",
    "1",
    "1.0",
    "1.0.0",
    "1.0a1",
    "1.0.dev0",
    "1.0.post1",
    "1.2",
    "2.0rc1",
    "2.0",
    "2!0.1",
    "3.1.4",
    "legacy-1",
];

proptest! {
    #[test]
    fn semver_ranges_agree_with_reference(
        events in prop::collection::vec(event_strategy(SEMVER_POOL), 0..8),
        probe in prop::sample::select(SEMVER_POOL),
    ) {
        let range = AffectedRange { kind: RangeKind::Semver, repo: None, events: events.clone() };
        let v = Scheme::Semver.parse(probe).unwrap();
        prop_assert_eq!(range.contains(&v).unwrap(), reference(Scheme::Semver, &v, &events));
    }

    #[test]
    fn pep440_ranges_agree_with_reference(
        events in prop::collection::vec(event_strategy(PEP440_POOL), 0..8),
        probe in prop::sample::select(PEP440_POOL),
    ) {
        let range = AffectedRange { kind: RangeKind::Ecosystem, repo: None, events: events.clone() };
        let v = Scheme::Pep440.parse(probe).unwrap();
        prop_assert_eq!(range.contains(&v).unwrap(), reference(Scheme::Pep440, &v, &events));
    }

    #[test]
    fn next_fix_is_unaffected_and_above(
        events in prop::collection::vec(event_strategy(SEMVER_POOL), 0..8),
        probe in prop::sample::select(SEMVER_POOL),
    ) {
        let affected = vec![Affected {
            package: Some(chainward_version::osv::AffectedPackage {
                ecosystem: "npm".to_owned(),
                name: "p".to_owned(),
                purl: None,
            }),
            ranges: vec![AffectedRange { kind: RangeKind::Semver, repo: None, events }],
            versions: vec![],
        }];
        let a = chainward_version::assess(Ecosystem::Npm, "p", probe, &affected).unwrap();
        if let Some(fix) = &a.next_fix {
            prop_assert_eq!(is_affected(Ecosystem::Npm, "p", fix, &affected), Ok(false));
            prop_assert!(Scheme::Semver.compare(fix, probe).unwrap() == Ordering::Greater);
        }
        for fix in &a.fixed_in {
            prop_assert!(a.affected);
            prop_assert!(Scheme::Semver.compare(fix, probe).unwrap() == Ordering::Greater);
        }
    }
}
