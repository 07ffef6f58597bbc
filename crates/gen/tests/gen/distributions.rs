//! Distribution sanity on about 200K yellow trips. Every expectation comes from
//! the spec of the generator (or the real TLC data it imitates), never from a
//! previous run of it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::common::*;
use arrow::record_batch::RecordBatch;
use kiln_gen::*;

struct Sample {
    yellow: Vec<RecordBatch>,
    green: Vec<RecordBatch>,
}

fn sample() -> &'static Sample {
    static S: OnceLock<Sample> = OnceLock::new();
    S.get_or_init(|| {
        // 85% of 235,295 is 200,000 yellow trips.
        let cfg = TaxiConfig {
            rows: 235_295,
            seed: 2024,
            start_year: 2024,
            start_month: 3,
            months: 1,
            ..TaxiConfig::default()
        };
        let files = generate_taxi(&cfg).unwrap();
        let read = |prefix: &str| {
            let f = files.iter().find(|f| f.path.starts_with(prefix)).unwrap();
            read_parquet(&f.bytes).batches
        };
        Sample {
            yellow: read("yellow/"),
            green: read("green/"),
        }
    })
}

fn zone_info() -> BTreeMap<i32, (String, String)> {
    let b = zone_lookup_batch();
    let bs = std::slice::from_ref(&b);
    let ids = i32s(bs, "LocationID");
    let bor = opt_strs(bs, "Borough");
    let svc = opt_strs(bs, "service_zone");
    ids.into_iter()
        .zip(bor.into_iter().zip(svc))
        .map(|(id, (b, s))| (id, (b.unwrap(), s.unwrap())))
        .collect()
}

fn share(n: usize, of: usize) -> f64 {
    n as f64 / of as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn yellow_has_200k_rows() {
    let n: usize = sample().yellow.iter().map(|b| b.num_rows()).sum();
    assert_eq!(n, 200_000);
}

#[test]
fn payment_mix_and_tips() {
    let y = &sample().yellow;
    let pay = opt_i64s(y, "payment_type");
    let fare = f64s(y, "fare_amount");
    let tip = f64s(y, "tip_amount");
    let n = pay.len();
    let count = |p: i64| pay.iter().filter(|&&x| x == Some(p)).count();
    let credit = share(count(1), n);
    let cash = share(count(2), n);
    assert!((credit - 0.72).abs() < 0.03, "credit share {credit}");
    assert!((cash - 0.25).abs() < 0.03, "cash share {cash}");
    assert!(share(count(3) + count(4), n) < 0.03);

    let mut ratios = Vec::new();
    for i in 0..n {
        match pay[i] {
            Some(2) => assert_eq!(tip[i], 0.0, "cash trips carry no recorded tip"),
            Some(1) if fare[i] >= 5.0 => ratios.push(tip[i] / fare[i]),
            _ => {}
        }
    }
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!((0.15..=0.25).contains(&mean), "mean card tip {mean}");
}

#[test]
fn pickups_concentrate_in_manhattan_core_and_airports() {
    let pu = i32s(&sample().yellow, "PULocationID");
    let zones = zone_info();
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    for &z in &pu {
        assert!((1..=265).contains(&z));
        *counts.entry(z).or_default() += 1;
    }
    let mut ranked: Vec<(usize, i32)> = counts.iter().map(|(&z, &c)| (c, z)).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let top20: usize = ranked.iter().take(20).map(|r| r.0).sum();
    assert!(
        share(top20, pu.len()) > 0.5,
        "top-20 share {}",
        share(top20, pu.len())
    );
    let top25: Vec<i32> = ranked.iter().take(25).map(|r| r.1).collect();
    assert!(
        top25.contains(&132) && top25.contains(&138),
        "airports not among top pickups"
    );
    for z in &top25 {
        let (borough, _) = &zones[z];
        assert!(
            borough == "Manhattan" || [132, 138].contains(z),
            "zone {z} ({borough}) in top 25"
        );
    }
}

#[test]
fn green_pickups_avoid_central_manhattan() {
    let pu = i32s(&sample().green, "PULocationID");
    let zones = zone_info();
    let central = pu
        .iter()
        .filter(|z| zones[z] == ("Manhattan".into(), "Yellow Zone".into()))
        .count();
    assert!(
        share(central, pu.len()) < 0.1,
        "green central share {}",
        share(central, pu.len())
    );
}

#[test]
fn distance_is_log_normal_like_with_a_tail() {
    let d = f64s(&sample().yellow, "trip_distance");
    let med = median(d.clone());
    assert!((1.4..=2.4).contains(&med), "median distance {med}");
    let long = d.iter().filter(|&&x| x > 30.0).count();
    assert!(long > 0, "no trips over 30 miles");
    assert!(share(long, d.len()) < 0.01);
    let zero = share(d.iter().filter(|&&x| x == 0.0).count(), d.len());
    assert!(
        (0.0003..0.005).contains(&zero),
        "zero-distance share {zero}"
    );
    assert!(share(d.iter().filter(|&&x| x > 100.0).count(), d.len()) < 0.0005);
    assert!(d.iter().all(|&x| x >= 0.0));
}

fn hour_and_weekend(t: i64) -> (usize, bool) {
    let secs = t / 1_000_000;
    let day = secs.div_euclid(86_400);
    let dow = (day + 4).rem_euclid(7); // 1970-01-01 was a Thursday; 0 = Sunday
    (
        ((secs.rem_euclid(86_400)) / 3600) as usize,
        dow == 0 || dow == 6,
    )
}

#[test]
fn daily_profile() {
    let pickups = times(&sample().yellow, "tpep_pickup_datetime");
    let mut weekday = [0usize; 24];
    let mut weekend = [0usize; 24];
    for t in &pickups {
        let (h, we) = hour_and_weekend(*t);
        if we { weekend[h] += 1 } else { weekday[h] += 1 }
    }
    let argmin = |a: &[usize; 24]| (0..24).min_by_key(|&h| a[h]).unwrap();
    let argmax = |a: &[usize; 24]| (0..24).max_by_key(|&h| a[h]).unwrap();
    assert!(
        (3..=5).contains(&argmin(&weekday)),
        "quietest weekday hour {}",
        argmin(&weekday)
    );
    assert!(
        (17..=19).contains(&argmax(&weekday)),
        "busiest weekday hour {}",
        argmax(&weekday)
    );
    assert!(
        weekday[8] + weekday[9] > weekday[11] + weekday[12],
        "no morning peak: {weekday:?}"
    );
    assert!(weekday[8] > 3 * weekday[4]);
    let wd: usize = weekday.iter().sum();
    let we: usize = weekend.iter().sum();
    assert!(
        share(weekend[1], we) > 2.0 * share(weekday[1], wd),
        "weekend nights should be busier than weekday nights"
    );
    assert!(
        share(weekend[8], we) < share(weekday[8], wd),
        "weekend mornings should be quieter"
    );
}

#[test]
fn durations_follow_distance_and_traffic() {
    let y = &sample().yellow;
    let pu = times(y, "tpep_pickup_datetime");
    let dropoff = times(y, "tpep_dropoff_datetime");
    let d = f64s(y, "trip_distance");
    let mins: Vec<f64> = pu
        .iter()
        .zip(&dropoff)
        .map(|(a, b)| (b - a) as f64 / 60e6)
        .collect();
    let med = median(mins.clone());
    assert!((6.0..=20.0).contains(&med), "median duration {med} min");
    let backwards = mins.iter().filter(|&&m| m < 0.0).count();
    assert!(
        share(backwards, mins.len()) < 0.001,
        "{backwards} trips end before they start"
    );
    let speed_at = |hours: &[usize]| {
        median(
            (0..d.len())
                .filter(|&i| d[i] > 0.5 && mins[i] > 0.0)
                .filter(|&i| {
                    let (h, we) = hour_and_weekend(pu[i]);
                    !we && hours.contains(&h)
                })
                .map(|i| d[i] / (mins[i] / 60.0))
                .collect(),
        )
    };
    let night = speed_at(&[3, 4, 5]);
    let rush = speed_at(&[8, 9, 17, 18]);
    assert!(night > rush * 1.3, "night {night} mph vs rush {rush} mph");
}

#[test]
fn detail_less_rows_are_null_together() {
    let y = &sample().yellow;
    let pass = opt_i64s(y, "passenger_count");
    let rate = opt_i64s(y, "RatecodeID");
    let flag = opt_strs(y, "store_and_fwd_flag");
    let cong = opt_f64s(y, "congestion_surcharge");
    let fee = opt_f64s(y, "Airport_fee");
    let pay = opt_i64s(y, "payment_type");
    let n = pass.len();
    let nulls = pass.iter().filter(|p| p.is_none()).count();
    assert!(
        (0.01..=0.03).contains(&share(nulls, n)),
        "null share {}",
        share(nulls, n)
    );
    for i in 0..n {
        let all = [
            pass[i].is_none(),
            rate[i].is_none(),
            flag[i].is_none(),
            cong[i].is_none(),
            fee[i].is_none(),
        ];
        assert!(
            all.iter().all(|&x| x == all[0]),
            "row {i}: partial nulls {all:?}"
        );
        assert_eq!(
            all[0],
            pay[i] == Some(0),
            "row {i}: payment_type 0 iff no details"
        );
    }
    let g = &sample().green;
    let gpass = opt_i64s(g, "passenger_count");
    let gpay = opt_i64s(g, "payment_type");
    let gtype = opt_i64s(g, "trip_type");
    for i in 0..gpass.len() {
        assert_eq!(gpass[i].is_none(), gpay[i].is_none());
        assert_eq!(gpass[i].is_none(), gtype[i].is_none());
        assert!(matches!(gtype[i], None | Some(1) | Some(2)));
    }
}

#[test]
fn money_adds_up_and_follows_the_tariff() {
    let y = &sample().yellow;
    let zones = zone_info();
    let pu = i32s(y, "PULocationID");
    let dropoff = i32s(y, "DOLocationID");
    let rate = opt_i64s(y, "RatecodeID");
    let pass = opt_i64s(y, "passenger_count");
    let parts = [
        "fare_amount",
        "extra",
        "mta_tax",
        "tip_amount",
        "tolls_amount",
        "improvement_surcharge",
    ]
    .map(|c| f64s(y, c));
    let total = f64s(y, "total_amount");
    let cong = opt_f64s(y, "congestion_surcharge");
    let fee = opt_f64s(y, "Airport_fee");
    let n = total.len();
    let cents = |x: f64| ((x * 100.0) - (x * 100.0).round()).abs() < 1e-6;
    let mut negative = 0;
    let mut standard = 0;
    for i in 0..n {
        let sum = parts.iter().map(|p| p[i]).sum::<f64>()
            + cong[i].unwrap_or(0.0)
            + fee[i].unwrap_or(0.0);
        assert!(
            (round2(sum) - total[i]).abs() < 0.005,
            "row {i}: total {} != parts {sum}",
            total[i]
        );
        for x in parts.iter().map(|p| p[i]).chain([total[i]]) {
            assert!(cents(x), "row {i}: {x} not in cents");
        }
        let fare = parts[0][i];
        if fare < 0.0 {
            negative += 1;
            continue;
        }
        assert_eq!(parts[2][i], 0.5, "mta_tax");
        assert_eq!(parts[5][i], 1.0, "improvement_surcharge");
        if rate[i] == Some(1) {
            standard += 1;
        }
        if rate[i] == Some(2) {
            assert_eq!(fare, 70.0, "JFK flat fare");
            assert!(
                pu[i] == 132 || dropoff[i] == 132,
                "row {i}: rate 2 away from JFK"
            );
        }
        if let Some(c) = cong[i] {
            let manhattan = zones[&pu[i]].0 == "Manhattan" || zones[&dropoff[i]].0 == "Manhattan";
            assert_eq!(c, if manhattan { 2.5 } else { 0.0 }, "row {i}: congestion");
        }
        if let Some(f) = fee[i] {
            assert_eq!(
                f,
                if [132, 138].contains(&pu[i]) {
                    1.75
                } else {
                    0.0
                },
                "row {i}: airport fee"
            );
        }
        if let Some(p) = pass[i] {
            assert!((0..=6).contains(&p));
        }
    }
    assert!(
        negative > 0 && share(negative, n) < 0.005,
        "{negative} refunds"
    );
    assert!(
        share(standard, n) > 0.85,
        "RatecodeID 1 share {}",
        share(standard, n)
    );
    let ones = pass.iter().filter(|&&p| p == Some(1)).count();
    assert!(
        share(ones, n) > 0.6,
        "single-passenger share {}",
        share(ones, n)
    );
    let jfk_flat = rate.iter().filter(|&&r| r == Some(2)).count();
    assert!(jfk_flat > 0, "no JFK flat fares");
    let med_fare = median(parts[0].clone());
    assert!((8.0..=20.0).contains(&med_fare), "median fare {med_fare}");
}
