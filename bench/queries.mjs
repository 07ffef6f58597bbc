// The benchmark's queries, in SQL that DataFusion (Kiln) and DuckDB both take as is.
// `scan` marks the scan-heavy ones, whose 2-worker/1-worker ratio should be near 0.5.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './common.mjs';

const TPCH_DIR = path.join(ROOT, 'tests', 'oracle', 'tpch');

const REVENUE_COLUMNS = `fare_amount, extra, mta_tax, tip_amount, tolls_amount, improvement_surcharge,
    total_amount, congestion_surcharge, passenger_count, trip_distance`;

export const QUERIES = [
  {
    id: 'count',
    title: 'count',
    scan: true,
    sql: 'SELECT count(*) AS trips FROM yellow',
  },
  {
    id: 'group_by',
    title: 'group by payment type: sum, avg',
    scan: true,
    sql: `SELECT payment_type, count(*) AS trips, sum(total_amount) AS revenue, avg(trip_distance) AS distance
FROM yellow GROUP BY payment_type ORDER BY payment_type`,
  },
  {
    id: 'join_zones',
    title: 'join zones, by borough and month',
    scan: true,
    sql: `SELECT z."Borough" AS borough, date_trunc('month', y.tpep_pickup_datetime) AS month,
  count(*) AS trips, sum(y.total_amount) AS revenue
FROM yellow y JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID"
GROUP BY 1, 2 ORDER BY 1, 2`,
  },
  {
    id: 'top_10',
    title: 'top 10 by total amount',
    scan: true,
    sql: `SELECT total_amount, tpep_pickup_datetime, "PULocationID", "DOLocationID" FROM yellow
ORDER BY total_amount DESC, tpep_pickup_datetime, "PULocationID", "DOLocationID" LIMIT 10`,
  },
  {
    id: 'count_distinct',
    title: 'count distinct',
    scan: false,
    sql: 'SELECT count(DISTINCT tpep_pickup_datetime) AS pickups FROM yellow',
  },
  {
    id: 'revenue',
    title: 'revenue report, green + yellow',
    scan: false,
    sql: `WITH trips AS (
  SELECT "PULocationID", tpep_pickup_datetime AS pickup_datetime, 'yellow' AS service_type, ${REVENUE_COLUMNS} FROM yellow
  UNION ALL
  SELECT "PULocationID", lpep_pickup_datetime AS pickup_datetime, 'green' AS service_type, ${REVENUE_COLUMNS} FROM green
)
SELECT "PULocationID" AS revenue_zone, date_trunc('month', pickup_datetime) AS revenue_month, service_type,
  sum(fare_amount) AS fare, sum(extra) AS extra, sum(mta_tax) AS mta_tax, sum(tip_amount) AS tips,
  sum(tolls_amount) AS tolls, sum(improvement_surcharge) AS improvement, sum(total_amount) AS total,
  sum(congestion_surcharge) AS congestion, avg(passenger_count) AS passengers, avg(trip_distance) AS distance
FROM trips GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  },
  {
    id: 'window',
    title: 'window: row_number per pickup zone',
    scan: false,
    sql: `SELECT max(rn) AS longest, count(*) AS trips, sum(CASE WHEN rn = 1 THEN total_amount END) AS best
FROM (SELECT total_amount, row_number() OVER (PARTITION BY "PULocationID"
  ORDER BY total_amount DESC, tpep_pickup_datetime, "DOLocationID") AS rn FROM yellow) t`,
  },
  {
    id: 'pruned_filter',
    title: 'filter pruning most row groups',
    scan: true,
    sql: `SELECT count(*) AS trips, sum(total_amount) AS revenue FROM yellow
WHERE tpep_pickup_datetime >= TIMESTAMP '2024-01-10 00:00:00' AND tpep_pickup_datetime < TIMESTAMP '2024-01-11 00:00:00'`,
  },
];

/** The 22 TPC-H queries with the specification's validation parameters, the same files
 * the oracle tests run (tests/oracle/tpch/), in SQL both engines take as is. Read when asked, not when a script loads this module. */
export const tpchQueries = () => readdirSync(TPCH_DIR)
  .filter((f) => /^q\d\d\.sql$/.test(f))
  .sort()
  .map((f) => ({ id: f.replace(/\.sql$/, ''), title: `TPC-H ${f.slice(0, 3).toUpperCase()}`, scan: false, sql: readFileSync(path.join(TPCH_DIR, f), 'utf8').trim() }));
