use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use kiln_gen::*;

struct Row {
    id: i32,
    borough: String,
    zone: String,
    service: String,
}

fn rows() -> Vec<Row> {
    let b = zone_lookup_batch();
    let ids = i32s(std::slice::from_ref(&b), "LocationID");
    let s = |n| {
        opt_strs(std::slice::from_ref(&b), n)
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>()
    };
    let (bor, zone, svc) = (s("Borough"), s("Zone"), s("service_zone"));
    (0..ids.len())
        .map(|i| Row {
            id: ids[i],
            borough: bor[i].clone(),
            zone: zone[i].clone(),
            service: svc[i].clone(),
        })
        .collect()
}

#[test]
fn ids_1_to_265_unique_names() {
    let rows = rows();
    assert_eq!(rows.len(), 265);
    let ids: BTreeSet<i32> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, (1..=265).collect());
    let names: BTreeSet<&str> = rows.iter().map(|r| r.zone.as_str()).collect();
    assert_eq!(names.len(), 265, "zone names must be unique");
}

#[test]
fn landmark_zones() {
    let rows = rows();
    let get = |id: i32| rows.iter().find(|r| r.id == id).unwrap();
    let check = |id, b: &str, z: &str, s: &str| {
        let r = get(id);
        assert_eq!(
            (r.borough.as_str(), r.zone.as_str(), r.service.as_str()),
            (b, z, s),
            "zone {id}"
        );
    };
    check(1, "EWR", "Newark Airport", "EWR");
    check(132, "Queens", "JFK Airport", "Airports");
    check(138, "Queens", "LaGuardia Airport", "Airports");
    check(161, "Manhattan", "Midtown Center", "Yellow Zone");
    check(264, "Unknown", "NV", "N/A");
    check(265, "Unknown", "NA", "N/A");
    for r in &rows {
        match r.borough.as_str() {
            "Manhattan" => assert!(["Yellow Zone", "Boro Zone"].contains(&r.service.as_str())),
            "Queens" if [132, 138].contains(&r.id) => {}
            "Queens" | "Brooklyn" | "Bronx" | "Staten Island" => {
                assert_eq!(r.service, "Boro Zone", "zone {}", r.id)
            }
            "EWR" => assert_eq!(r.id, 1),
            "Unknown" => assert!(r.id >= 264),
            other => panic!("unexpected borough {other}"),
        }
    }
    // Most of Manhattan is the yellow zone.
    let mn: Vec<&Row> = rows.iter().filter(|r| r.borough == "Manhattan").collect();
    let yellow = mn.iter().filter(|r| r.service == "Yellow Zone").count();
    assert!(yellow * 4 > mn.len() * 3, "{yellow} of {}", mn.len());
}

#[test]
fn borough_counts_near_the_real_file() {
    let mut counts: BTreeMap<String, i32> = BTreeMap::new();
    for r in rows() {
        *counts.entry(r.borough).or_default() += 1;
    }
    for (b, real) in [
        ("Manhattan", 69),
        ("Queens", 69),
        ("Brooklyn", 61),
        ("Bronx", 43),
        ("Staten Island", 20),
    ] {
        let n = counts.get(b).copied().unwrap_or(0);
        assert!(
            (n - real).abs() <= 3,
            "{b}: {n} zones, real file has {real}"
        );
    }
}

#[test]
fn csv_is_quoted_like_tlc() {
    let csv = zone_lookup_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], r#""LocationID","Borough","Zone","service_zone""#);
    assert_eq!(lines[1], r#"1,"EWR","Newark Airport","EWR""#);
    assert_eq!(lines.len(), 266);
    let rows = rows();
    for (line, r) in lines[1..].iter().zip(&rows) {
        let expected = format!(
            "{},\"{}\",\"{}\",\"{}\"",
            r.id, r.borough, r.zone, r.service
        );
        assert_eq!(*line, expected);
    }
}
