//! The statistical model of one trip: where, when, how far, and what it cost.
//!
//! Numbers are rough fits to public TLC summaries; the aim is realistic skew for
//! teaching and benchmarks, not a faithful simulation.

use crate::config::{TripKind, days_from_civil, days_in_month};
use crate::sample::{Rng, Weighted, round2};
use crate::zones::{Borough, EWR, JFK, LGA, Service, ZONES, zone};

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// One generated trip; both file kinds are projections of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trip {
    pub vendor: i32,
    pub pickup_us: i64,
    pub dropoff_us: i64,
    pub passengers: Option<i64>,
    pub distance: f64,
    pub ratecode: Option<i64>,
    pub store_fwd: Option<&'static str>,
    pub pu: i32,
    pub dropoff_zone: i32,
    /// 0 for the rows published without trip details.
    pub payment: i64,
    pub fare: f64,
    pub extra: f64,
    pub mta_tax: f64,
    pub tip: f64,
    pub tolls: f64,
    pub improvement: f64,
    pub total: f64,
    pub congestion: Option<f64>,
    pub airport_fee: Option<f64>,
    pub trip_type: Option<i64>,
    /// FHV trips only: the dispatching base, its affiliated base, whether the zones
    /// were reported, and whether the ride was shared.
    pub base: &'static str,
    pub affiliated_base: Option<&'static str>,
    pub fhv_zones: bool,
    pub shared: bool,
}

/// Dispatching bases of for-hire trips, with rough shares of the volume.
const FHV_BASES: &[(&str, f64)] = &[
    ("B02510", 30.0),
    ("B02764", 18.0),
    ("B02872", 10.0),
    ("B02875", 8.0),
    ("B02617", 7.0),
    ("B02682", 6.0),
    ("B02765", 5.0),
    ("B02866", 4.0),
    ("B02869", 4.0),
    ("B02887", 3.0),
    ("B03404", 3.0),
    ("B00254", 2.0),
];

/// Relative pickups per hour, weekdays: quiet 3-5am, a morning bump at 8-9, the evening peak 5-7pm.
const WEEKDAY_HOURS: [f64; 24] = [
    2.0, 1.2, 0.8, 0.5, 0.45, 0.6, 1.5, 3.2, 5.0, 4.9, 4.3, 4.2, 4.4, 4.5, 4.8, 4.9, 5.0, 6.3, 6.7,
    6.0, 5.2, 5.1, 4.6, 3.4,
];
/// Weekends: late nights busy, slow mornings, flat afternoon.
const WEEKEND_HOURS: [f64; 24] = [
    4.0, 3.3, 2.5, 1.6, 1.0, 0.7, 0.9, 1.3, 2.0, 2.8, 3.6, 4.3, 4.8, 5.0, 5.1, 5.1, 5.1, 5.2, 5.3,
    5.0, 4.6, 4.5, 4.5, 4.3,
];
/// Sunday first, as `weekday()` counts.
const DAY_OF_WEEK: [f64; 7] = [0.85, 0.90, 1.0, 1.05, 1.1, 1.1, 1.0];
/// Typical street speed in mph by hour; rush hours crawl.
const SPEED_MPH: [f64; 24] = [
    17.0, 18.0, 19.0, 20.0, 20.0, 19.0, 16.0, 12.0, 10.0, 10.0, 10.5, 10.5, 10.5, 10.5, 10.0, 9.5,
    9.5, 9.5, 10.0, 11.0, 12.5, 13.5, 14.5, 15.5,
];

/// Yellow pickups: the Manhattan core and the two airports carry most of the volume.
const YELLOW_HOT: &[(i32, f64)] = &[
    (132, 5.5),
    (237, 4.7),
    (161, 4.7),
    (236, 4.2),
    (162, 3.6),
    (186, 3.4),
    (138, 3.3),
    (230, 3.3),
    (142, 3.2),
    (170, 2.9),
    (163, 2.8),
    (239, 2.7),
    (234, 2.6),
    (68, 2.5),
    (48, 2.3),
    (141, 2.3),
    (79, 2.2),
    (107, 2.1),
    (263, 2.0),
    (249, 2.0),
    (140, 1.9),
    (164, 1.9),
    (238, 1.8),
    (90, 1.7),
    (100, 1.7),
    (113, 1.6),
    (229, 1.5),
    (246, 1.5),
    (43, 1.4),
    (137, 1.4),
    (262, 1.3),
    (233, 1.3),
    (143, 1.2),
    (231, 1.2),
    (114, 1.1),
    (158, 1.0),
    (151, 0.9),
    (50, 0.9),
    (87, 0.8),
    (144, 0.8),
    (211, 0.7),
    (148, 0.7),
    (13, 0.6),
    (125, 0.5),
    (261, 0.5),
    (166, 0.5),
    (75, 0.5),
    (24, 0.4),
    (88, 0.4),
    (74, 0.4),
    (209, 0.3),
    (4, 0.3),
    (224, 0.3),
    (41, 0.3),
    (232, 0.2),
    (45, 0.2),
    (42, 0.15),
    (7, 0.15),
    (145, 0.15),
    (12, 0.1),
    (116, 0.1),
    (152, 0.1),
    (244, 0.1),
    (146, 0.1),
    (264, 0.8),
    (265, 0.1),
    (1, 0.02),
];

/// Green (boro taxi) pickups: upper Manhattan and the busy outer-borough hubs.
const GREEN_HOT: &[(i32, f64)] = &[
    (74, 10.0),
    (75, 7.0),
    (41, 7.0),
    (42, 4.0),
    (166, 4.0),
    (7, 3.5),
    (65, 3.0),
    (82, 3.0),
    (95, 2.5),
    (129, 2.5),
    (97, 2.0),
    (181, 2.0),
    (255, 2.0),
    (152, 2.0),
    (244, 2.0),
    (116, 2.0),
    (260, 1.5),
    (145, 1.5),
    (92, 1.5),
    (130, 1.5),
    (243, 1.2),
    (33, 1.2),
    (25, 1.2),
    (256, 1.0),
    (61, 1.0),
    (17, 1.0),
    (37, 0.8),
    (69, 0.8),
    (168, 0.8),
    (247, 0.6),
    (264, 0.5),
];

/// Default weight of a zone missing from a hot list.
fn default_weight(kind: TripKind, id: i32) -> f64 {
    let z = zone(id);
    match (kind, z.borough, z.service) {
        (_, _, Service::Airports | Service::Ewr | Service::NotApplicable) => 0.02,
        (TripKind::Yellow, Borough::Manhattan, Service::Yellow) => 0.08,
        (TripKind::Yellow, Borough::Manhattan, _) => 0.1,
        (TripKind::Yellow, _, _) => 0.012,
        // Green cabs may not take street hails in the yellow zone.
        (TripKind::Green, Borough::Manhattan, Service::Yellow) => 0.03,
        (TripKind::Green, _, _) => 0.15,
        // For-hire cars go everywhere, the outer boroughs most.
        (TripKind::Fhv, Borough::Manhattan, _) => 0.06,
        (TripKind::Fhv, _, _) => 0.12,
    }
}

fn zone_weights(kind: TripKind, hot: &[(i32, f64)]) -> Vec<(i32, f64)> {
    ZONES
        .iter()
        .map(|z| {
            let w = hot
                .iter()
                .find(|(id, _)| *id == z.id)
                .map_or_else(|| default_weight(kind, z.id), |(_, w)| *w);
            (z.id, w)
        })
        .collect()
}

fn filtered(weights: &[(i32, f64)], keep: impl Fn(i32) -> bool) -> Weighted<i32> {
    Weighted::new(weights.iter().copied().filter(|(id, _)| keep(*id)))
}

const OUTER_BOROUGHS: [Borough; 4] = [
    Borough::Queens,
    Borough::Bronx,
    Borough::StatenIsland,
    Borough::Brooklyn,
];

fn is_outer_hood(id: i32) -> bool {
    let z = zone(id);
    OUTER_BOROUGHS.contains(&z.borough) && z.service == Service::Boro
}

/// Distributions that depend only on the file kind and month.
pub(crate) struct TripModel {
    kind: TripKind,
    bases: Weighted<&'static str>,
    pickup: Weighted<i32>,
    manhattan: Weighted<i32>,
    outer: Weighted<i32>,
    outer_by_borough: [Weighted<i32>; 4],
    airports: Weighted<i32>,
    /// (day of month, hour, weekend) slots of the file's month.
    slots: Weighted<(i64, usize, bool)>,
    month_start_day: i64,
    payment: Weighted<i64>,
    tip_share: Weighted<TipShare>,
    passengers: Weighted<i64>,
}

impl TripModel {
    pub(crate) fn new(kind: TripKind, year: i32, month: u32) -> Self {
        let hot = match kind {
            TripKind::Yellow => YELLOW_HOT,
            TripKind::Green | TripKind::Fhv => GREEN_HOT,
        };
        let pickup_weights = zone_weights(kind, hot);
        // Dropoffs everywhere follow where people go in Manhattan (the yellow
        // pattern) and where they live outside it (the green pattern).
        let yellow_weights = zone_weights(TripKind::Yellow, YELLOW_HOT);
        let green_weights = zone_weights(TripKind::Green, GREEN_HOT);
        let outer_by_borough = OUTER_BOROUGHS.map(|b| {
            filtered(&green_weights, |id| {
                is_outer_hood(id) && zone(id).borough == b
            })
        });

        let month_start_day = days_from_civil(year, month, 1);
        let mut slots = Vec::with_capacity(31 * 24);
        for day in 0..i64::from(days_in_month(year, month)) {
            let dow = (month_start_day + day + 4).rem_euclid(7) as usize;
            let weekend = dow == 0 || dow == 6;
            let profile = if weekend {
                &WEEKEND_HOURS
            } else {
                &WEEKDAY_HOURS
            };
            for (hour, w) in profile.iter().enumerate() {
                slots.push(((day, hour, weekend), w * DAY_OF_WEEK[dow]));
            }
        }

        TripModel {
            kind,
            bases: Weighted::new(FHV_BASES.iter().copied()),
            pickup: Weighted::new(pickup_weights),
            manhattan: filtered(&yellow_weights, |id| zone(id).borough == Borough::Manhattan),
            outer: filtered(&green_weights, is_outer_hood),
            outer_by_borough,
            airports: Weighted::new([(JFK, 4.0), (LGA, 5.0), (EWR, 1.0)]),
            slots: Weighted::new(slots),
            month_start_day,
            payment: payments(),
            tip_share: tip_shares(),
            passengers: passenger_counts(),
        }
    }

    fn dropoff(&self, rng: &mut Rng, pu: i32) -> i32 {
        let z = zone(pu);
        let r = rng.unit();
        // Cumulative cut points: below the first Manhattan, then airports, then
        // outer boroughs.
        let (manhattan_end, airport_end) = match (z.borough, z.service) {
            (Borough::Manhattan, Service::Yellow) => (0.85, 0.90),
            (Borough::Manhattan, _) => (0.60, 0.63),
            (_, Service::Airports) => (0.55, 0.60),
            (Borough::Ewr, _) => (0.90, 1.0),
            (Borough::Unknown, _) => {
                return if r < 0.5 {
                    pu
                } else {
                    self.manhattan.sample(rng)
                };
            }
            (b, _) => {
                // Outer-borough trips mostly stay in their borough.
                if let Some(i) = OUTER_BOROUGHS.iter().position(|&o| o == b)
                    && r < 0.55
                {
                    return self.outer_by_borough[i].sample(rng);
                }
                (0.72, 0.75)
            }
        };
        if r < manhattan_end {
            self.manhattan.sample(rng)
        } else if r < airport_end {
            self.airports.sample(rng)
        } else {
            self.outer.sample(rng)
        }
    }

    pub(crate) fn trip(&self, rng: &mut Rng) -> Trip {
        let (day, hour, weekend) = self.slots.sample(rng);
        let second = rng.below(3600) as i64;
        let pickup_s = (self.month_start_day + day) * SECONDS_PER_DAY + hour as i64 * 3600 + second;

        let pu = self.pickup.sample(rng);
        let mut dropoff_zone = self.dropoff(rng, pu);

        let mut distance = trip_distance(rng, pu, dropoff_zone);
        if rng.chance(0.001) {
            distance = 0.0;
            dropoff_zone = pu;
        } else if rng.chance(0.000_02) {
            distance = rng.uniform(100.0, 400.0);
        }
        let distance = round2(distance);

        let mut speed = SPEED_MPH[hour] * if weekend { 1.1 } else { 1.0 };
        if distance > 8.0 {
            speed *= 1.6;
        } else if distance > 3.0 {
            speed *= 1.2;
        }
        speed *= rng.log_normal(1.0, 0.25);
        let minutes = distance / speed * 60.0 + rng.uniform(0.5, 2.5);
        let mut duration_s = (minutes * 60.0).round() as i64;
        if rng.chance(0.000_05) {
            duration_s = -(60 + rng.below(7200) as i64);
        }

        // payment_type 0 marks the rows the TLC publishes without trip details.
        let payment = self.payment.sample(rng);
        let detailed = payment != 0;

        let touches = |id: i32| pu == id || dropoff_zone == id;
        let manhattan_leg = zone(pu).borough == Borough::Manhattan
            || zone(dropoff_zone).borough == Borough::Manhattan;
        let ratecode = self.ratecode(rng, pu, dropoff_zone, manhattan_leg);
        let meter = 3.0 + 0.7 * ((2.8 * distance + 0.35 * minutes) / 0.7).round();
        let mut fare = match ratecode {
            2 => 70.0,
            3 => meter + 20.0,
            4 => 2.0 * meter,
            5 => rng.uniform(10.0, 90.0).round(),
            _ => meter,
        };

        let rush = !weekend && (16..20).contains(&hour);
        let overnight = !(6..20).contains(&hour);
        let mut extra = if rush {
            2.5
        } else if overnight {
            1.0
        } else {
            0.0
        };
        let mut mta_tax = 0.5;
        let mut improvement = 1.0;
        let crosses_water = zone(pu).borough != zone(dropoff_zone).borough;
        let mut tolls = if (crosses_water || touches(EWR)) && distance > 5.0 && rng.chance(0.45) {
            6.94
        } else {
            0.0
        };
        let mut congestion = if manhattan_leg { 2.5 } else { 0.0 };
        let airport_pickup = pu == JFK || pu == LGA;
        let mut airport_fee = if self.kind == TripKind::Yellow && airport_pickup {
            1.75
        } else {
            0.0
        };

        let tip = match payment {
            1 => round2(fare * self.tip_share.sample(rng).pick(rng)),
            0 if rng.chance(0.5) => round2(fare * rng.uniform(0.1, 0.25)),
            _ => 0.0,
        };

        let refund = detailed && rng.chance(0.000_5);
        let payment = if refund { 4 } else { payment };
        if refund {
            for v in [
                &mut fare,
                &mut extra,
                &mut mta_tax,
                &mut improvement,
                &mut tolls,
                &mut congestion,
                &mut airport_fee,
            ] {
                *v = -*v;
            }
        }
        let tip = if refund { 0.0 } else { tip };
        let fare = round2(fare);

        let mut total = fare + extra + mta_tax + tip + tolls + improvement;
        if detailed {
            total += congestion + airport_fee;
        }

        let vendor = match self.kind {
            TripKind::Yellow if rng.chance(0.27) => 1,
            TripKind::Green if rng.chance(0.15) => 1,
            _ => 2,
        };
        let passengers = self.passengers.sample(rng);
        let store_fwd = if rng.chance(0.005) { "Y" } else { "N" };
        let trip_type = if ratecode == 5 || rng.chance(0.005) {
            2
        } else {
            1
        };

        // Drawn only for FHV trips, so yellow and green streams stay as they were.
        let (base, affiliated_base, fhv_zones, shared) = if self.kind == TripKind::Fhv {
            let base = self.bases.sample(rng);
            let affiliated = if rng.chance(0.85) {
                Some(base)
            } else if rng.chance(0.66) {
                Some(self.bases.sample(rng))
            } else {
                None
            };
            (base, affiliated, rng.chance(0.92), rng.chance(0.02))
        } else {
            ("", None, true, false)
        };

        Trip {
            base,
            affiliated_base,
            fhv_zones,
            shared,
            vendor,
            pickup_us: pickup_s * MICROS_PER_SECOND,
            dropoff_us: (pickup_s + duration_s) * MICROS_PER_SECOND,
            passengers: detailed.then_some(passengers),
            distance,
            ratecode: detailed.then_some(ratecode),
            store_fwd: detailed.then_some(store_fwd),
            pu,
            dropoff_zone,
            payment,
            fare,
            extra,
            mta_tax,
            tip,
            tolls,
            improvement,
            total: round2(total),
            congestion: detailed.then_some(congestion),
            airport_fee: detailed.then_some(airport_fee),
            trip_type: detailed.then_some(trip_type),
        }
    }

    fn ratecode(&self, rng: &mut Rng, pu: i32, dropoff: i32, manhattan_leg: bool) -> i64 {
        let jfk_manhattan = (pu == JFK || dropoff == JFK) && manhattan_leg;
        let negotiated = match self.kind {
            TripKind::Yellow => 0.003,
            TripKind::Green | TripKind::Fhv => 0.03,
        };
        if jfk_manhattan && rng.chance(0.8) {
            2
        } else if dropoff == EWR && rng.chance(0.8) {
            3
        } else {
            let r = rng.unit();
            if r < negotiated {
                5
            } else if r < negotiated + 0.001 {
                4
            } else if r < negotiated + 0.0015 {
                99
            } else {
                1
            }
        }
    }
}

fn trip_distance(rng: &mut Rng, pu: i32, dropoff: i32) -> f64 {
    let (a, b) = (zone(pu), zone(dropoff));
    let pair = |x: i32, y: i32| (pu == x || dropoff == x) && (a.id == y || b.id == y);
    let manhattan_other = |airport: i32| {
        let other = if pu == airport { b } else { a };
        (pu == airport || dropoff == airport) && other.borough == Borough::Manhattan
    };
    let (median, sigma) = if pu == dropoff {
        (0.9, 0.6)
    } else if manhattan_other(JFK) {
        (17.5, 0.12)
    } else if manhattan_other(LGA) {
        (9.8, 0.18)
    } else if manhattan_other(EWR) {
        (17.0, 0.15)
    } else if pair(JFK, LGA) {
        (11.0, 0.15)
    } else if [a, b]
        .iter()
        .any(|z| matches!(z.service, Service::Airports | Service::Ewr))
    {
        (9.0, 0.5)
    } else if a.borough == Borough::Unknown || b.borough == Borough::Unknown {
        (2.0, 1.0)
    } else if a.borough == Borough::Manhattan && b.borough == Borough::Manhattan {
        (1.45, 0.7)
    } else if a.borough == b.borough {
        (2.3, 0.75)
    } else {
        (6.0, 0.55)
    };
    rng.log_normal(median, sigma).max(0.01)
}

/// A tip choice: one of the card screen's preset percentages, or a custom amount.
#[derive(Clone, Copy)]
enum TipShare {
    Fixed(f64),
    Custom,
}

impl TipShare {
    fn pick(self, rng: &mut Rng) -> f64 {
        match self {
            TipShare::Fixed(p) => p,
            TipShare::Custom => rng.uniform(0.10, 0.35),
        }
    }
}

fn tip_shares() -> Weighted<TipShare> {
    Weighted::new([
        (TipShare::Fixed(0.0), 0.06),
        (TipShare::Fixed(0.15), 0.12),
        (TipShare::Fixed(0.20), 0.40),
        (TipShare::Fixed(0.25), 0.20),
        (TipShare::Fixed(0.30), 0.07),
        (TipShare::Custom, 0.15),
    ])
}

/// 0 = no trip details (about 2%), 1 credit card, 2 cash, 3 no charge, 4 dispute.
fn payments() -> Weighted<i64> {
    Weighted::new([(0, 0.02), (1, 0.72), (2, 0.25), (3, 0.005), (4, 0.005)])
}

fn passenger_counts() -> Weighted<i64> {
    Weighted::new([
        (0, 0.015),
        (1, 0.74),
        (2, 0.145),
        (3, 0.035),
        (4, 0.02),
        (5, 0.025),
        (6, 0.02),
    ])
}
