// SQL typed in the editor runs in the engine worker; the table shown must equal DuckDB's
// answer on the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, resultRowCount, oracle,
  generateTaxi, assertRowsEqual, screenshot, duckdbTypes, PARQUET_TESTING,
} from './harness.mjs';

let page, taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(200_000);
  await addFiles(page, [
    path.join(taxiDir, 'yellow/yellow_tripdata_2024-02.parquet'),
    path.join(taxiDir, 'taxi_zone_lookup.csv'),
    path.join(PARQUET_TESTING, 'data/nulls.snappy.parquet'),
  ]);
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
});

const yellow = () => `y=${path.join(taxiDir, 'yellow/yellow_tripdata_2024-02.parquet')}`;
const zones = () => `z=${path.join(taxiDir, 'taxi_zone_lookup.csv')}`;

async function compare(kilnSql, duckSql, tables, what) {
  await runSql(page, kilnSql);
  const shown = await readResult(page);
  const expected = oracle('query', duckSql, ...tables);
  assert.equal(await resultRowCount(page), expected.length, `${what}: row count label`);
  assertRowsEqual(assert, shown.rows.slice(0, expected.length), expected.slice(0, shown.rows.length), what);
  return shown;
}

test('group by equals DuckDB, with types in the header', async () => {
  const sql = (t) => `SELECT payment_type, count(*) AS trips, sum(total_amount) AS revenue
    FROM ${t} GROUP BY payment_type ORDER BY payment_type`;
  const shown = await compare(sql('yellow_tripdata_2024_02'), sql('y'), [yellow()], 'group by');
  assert.deepEqual(shown.columns, ['payment_type', 'trips', 'revenue']);
  // The header names types as SQL does (DuckDB's names for these), Arrow's on hover.
  assert.deepEqual(shown.sqlTypes, duckdbTypes(sql('y'), yellow()));
  assert.deepEqual(shown.types, ['Int64', 'Int64', 'Float64']);
  assert.match(await page.getByTestId('result-elapsed').textContent(), /\d/);
  await screenshot(page, 'query-result');
});

test('timestamps and decimals read as SQL engines print them', async () => {
  const sql = (t) => `SELECT tpep_pickup_datetime, CAST(total_amount AS DECIMAL(12, 2)) AS total
    FROM ${t} ORDER BY tpep_pickup_datetime, total LIMIT 5`;
  await runSql(page, sql('yellow_tripdata_2024_02'));
  const shown = await readResult(page);
  const duck = oracle('query', `SELECT CAST(tpep_pickup_datetime AS VARCHAR), CAST(total AS VARCHAR)
    FROM (${sql('y')})`, yellow());
  assert.deepEqual(shown.rows, duck, 'the same text as DuckDB prints: a space, not ISO 8601\'s T');
  assert.deepEqual(shown.sqlTypes, duckdbTypes(sql('y'), yellow()));
});

test('join with the CSV zone lookup equals DuckDB', async () => {
  const sql = (t, z) => `SELECT z."Borough", count(*) AS trips FROM ${t} t
    JOIN ${z} z ON t."PULocationID" = z."LocationID" GROUP BY z."Borough" ORDER BY trips DESC, z."Borough"`;
  await compare(sql('yellow_tripdata_2024_02', 'taxi_zone_lookup'), sql('y', 'z'), [yellow(), zones()], 'join');
});

test('the result table scrolls through all rows', async () => {
  const sql = (t) => `SELECT "LocationID", "Zone" FROM ${t} ORDER BY "LocationID"`;
  const expected = oracle('query', sql('z'), zones());
  await runSql(page, sql('taxi_zone_lookup'));
  assert.equal(await resultRowCount(page), expected.length);
  // Only the rows in view exist; scroll a screen at a time and collect them by number.
  const seen = new Map();
  for (let step = 0; step < 200 && seen.size < expected.length; step += 1) {
    await page.waitForFunction(() => !document.querySelector('[data-testid=result-table] td.loading'));
    const rows = await page.getByTestId('result-table').evaluate((table) => [...table.querySelectorAll('tbody tr')]
      .map((tr) => [Number(tr.dataset.row), [...tr.querySelectorAll('td')]
        .map((td) => (td.classList.contains('null') ? null : td.textContent))]));
    for (const [n, cells] of rows) seen.set(n, cells);
    const first = await page.getByTestId('result-table').getAttribute('data-first-row');
    // A screen of rows less one: what shows below the header (names and profiles).
    await page.getByTestId('result-scroll').evaluate((el) => {
      el.scrollTop += el.clientHeight - el.querySelector('thead').offsetHeight - 26;
    });
    // The rows in view follow the scroll once the table has re-rendered.
    if (seen.size < expected.length) {
      await page.waitForFunction((f) => document.querySelector('[data-testid=result-table]').dataset.firstRow !== f, first);
    }
  }
  const all = [...seen.entries()].sort((a, b) => a[0] - b[0]);
  const missing = expected.map((_, i) => i + 1).filter((n) => !seen.has(n));
  assert.deepEqual(missing, [], `every row seen by its number (saw ${seen.size})`);
  assertRowsEqual(assert, all.map(([, cells]) => cells), expected, 'all rows');
});

test('NULL is shown apart from an empty string', async () => {
  await runSql(page, "SELECT CAST(NULL AS VARCHAR) AS a, '' AS b, 'x' AS c");
  const shown = await readResult(page);
  assert.deepEqual(shown.rows, [[null, '', 'x']]);
  const expected = oracle('query', `SELECT count(*) FILTER (WHERE b_struct['b_c_int'] IS NULL), count(*) FROM t`,
    `t=${path.join(PARQUET_TESTING, 'data/nulls.snappy.parquet')}`);
  await runSql(page, `SELECT count(*) FILTER (WHERE b_struct['b_c_int'] IS NULL), count(*) FROM nulls`);
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'nulls file');
});

test('the last query survives a reload', async () => {
  const sql = 'SELECT 41 + 1 AS answer';
  await runSql(page, sql);
  await page.reload();
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('sql-editor').inputValue(), sql);
});
