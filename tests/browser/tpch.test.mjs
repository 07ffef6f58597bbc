// The 22 TPC-H queries, typed in the page and run as jobs on a pool of 2 workers over a
// folder of Parquet files per table. They have the joins, correlated subqueries, NOT IN,
// CTEs and decimal arithmetic that the taxi queries lack. The answer must equal DuckDB's
// on the same files. The rows checked are all of the rows the page shows, read from its
// table by scrolling it, so an answer cut short or padded in the page fails too. The
// data is made here by `tpchgen-cli` (scripts/lib.sh installs it from PyPI into the venv), as in
// tests/oracle/test_tpch.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, runSql, readResult, readAllRows, unmatchedRows, oracle, setSetting, tempDir, ROOT,
} from './harness.mjs';

const SCALE = '0.1';
const WORKERS = 2;
const QUERY_DIR = path.join(ROOT, 'tests/oracle/tpch');
const TABLES = ['customer', 'lineitem', 'nation', 'orders', 'part', 'partsupp', 'region', 'supplier'];
const QUERIES = readdirSync(QUERY_DIR).filter((f) => /^q\d\d\.sql$/.test(f)).sort()
  .map((f) => ({ name: f.slice(0, 3), sql: readFileSync(path.join(QUERY_DIR, f), 'utf8') }));
// DuckDB's row counts at SF 0.1 (as in test_tpch.py). If they differ, the data is not the
// data these queries were checked against, whatever the page answers.
const EXPECTED_ROWS_SF01 = { q02: 44, q04: 5, q13: 37, q20: 9, q21: 47, q22: 7 };

let page, tpchDir;

/** One folder per table (named after the table), each of up to 3 files with row groups
 *  of about 1 MB. The only place that knows tpchgen-cli's command line. */
function makeTpch(out) {
  // scripts/lib.sh sets TPCHGEN to the venv's copy; a hand run may have one on PATH.
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const bin = [process.env.TPCHGEN, ...dirs.map((d) => path.join(d, 'tpchgen-cli'))]
    .find((p) => p && existsSync(p));
  assert.ok(bin, 'tpchgen-cli is missing: scripts/lib.sh (ensure_tpchgen) installs it');
  // tpchgen-cli 4 takes the format as a subcommand, with its options after it.
  execFileSync(bin, ['parquet', '--scale-factor', SCALE, '--parts', '3', '--row-group-bytes', String(1 << 20),
    '--output-dir', out, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  for (const t of TABLES) {
    assert.ok(existsSync(path.join(out, t)) && readdirSync(path.join(out, t)).some((f) => f.endsWith('.parquet')),
      `tpchgen-cli wrote no ${t}/*.parquet`);
  }
}

withPage(async (opened) => {
  page = opened;
  tpchDir = tempDir('tpch');
  makeTpch(tpchDir);
  // A folder pick is one table, named after the folder.
  for (const t of TABLES) {
    await page.getByTestId('folder-input').setInputFiles(path.join(tpchDir, t));
    await page.locator(`[data-testid=table-item][data-table="${t}"]`).waitFor({ timeout: 60_000 });
  }
  await setSetting(page, 'workers', WORKERS);
});

const tables = () => TABLES.map((t) => `${t}=${path.join(tpchDir, t)}`);

test('there are 22 TPC-H queries', () => {
  assert.deepEqual(QUERIES.map((q) => q.name), Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`));
});

for (const { name, sql } of QUERIES) {
  test(`TPC-H ${name} on ${WORKERS} workers equals DuckDB`, async () => {
    const before = await page.evaluate(() => document.querySelector('[data-testid=job]')?.dataset.job ?? null);
    await runSql(page, sql);
    assert.equal(await page.getByTestId('error-panel').count(), 0,
      `${name}: ${await page.getByTestId('error-panel').allTextContents()}`);
    // The answer shown is this query's, from a job that ran to its end on the pool.
    assert.equal(await page.getByTestId('sql-editor').inputValue(), sql, `${name}: the editor kept the query`);
    assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'ready', `${name}: the engine is up`);
    const job = await page.getByTestId('job').evaluate((el) => ({ ...el.dataset }));
    assert.notEqual(job.job, before, `${name}: a new job ran`);
    assert.equal(job.status, 'succeeded', name);
    assert.equal(Number(job.workers), WORKERS, name);

    const expected = oracle('query', sql, ...tables());
    if (name in EXPECTED_ROWS_SF01) assert.equal(expected.length, EXPECTED_ROWS_SF01[name], `${name}: DuckDB's row count`);
    const { columns, types } = await readResult(page);
    const { total, rows } = await readAllRows(page);
    assert.equal(total, expected.length, `${name}: row count`);
    assert.equal(rows.length, expected.length, `${name}: rows read`);
    if (expected.length) assert.equal(columns.length, expected[0].length, `${name}: columns ${columns}`);
    rows.forEach((r, i) => assert.equal(r.length, columns.length, `${name}: width of row ${i + 1}`));
    const { missing, extra } = unmatchedRows(types, rows, expected);
    assert.ok(missing.length === 0 && extra.length === 0,
      `${name}: ${missing.length} of DuckDB's rows not shown, e.g. ${JSON.stringify(missing.slice(0, 3))}; `
      + `${extra.length} shown rows not DuckDB's, e.g. ${JSON.stringify(extra.slice(0, 3))} (columns ${columns}: ${types})`);
    assert.deepEqual(page.errors, [], `${name}: page errors`);
    console.log(`${name}: ${total} rows in ${(await page.getByTestId('result-elapsed').textContent()).trim()}`);
  });
}
