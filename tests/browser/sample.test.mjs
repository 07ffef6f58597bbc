// The sample lake is made in the page by the pool's workers, with the same generator as
// `kiln gen taxi --fhv --layout lake`: its partitions must hold the rows DuckDB counts in
// the CLI's files, its download must be those very files, and a reload must reopen the
// lake kept in the browser instead of making it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, runSql, readResult, oracle, tempDir, tableNames, KILN, screenshot,
} from './harness.mjs';

const ROWS = 60_000;
const MONTHS = 2;
let page, cliLake;

withPage(async (opened) => {
  page = opened;
  cliLake = tempDir('cli-lake');
  execFileSync(KILN, ['gen', 'taxi', '--rows', String(ROWS), '--months', String(MONTHS), '--seed', '42',
    '--fhv', '--layout', 'lake', '--out', cliLake]);
});

async function makeLake() {
  await page.getByTestId('lake-toggle').click();
  await page.getByTestId('lake-rows').fill(String(ROWS));
  await page.getByTestId('lake-months').selectOption(String(MONTHS));
  await page.getByTestId('lake-generate').click();
  // Made, the lake closes its panel (it would hide the lesson and the editor).
  await page.locator('[data-testid=lake-toggle][data-phase=ready]').waitFor({ timeout: 180_000 });
  await page.getByTestId('lake-panel').waitFor({ state: 'detached' });
}

async function openLakePanel() {
  if (!(await page.getByTestId('lake-panel').count())) await page.getByTestId('lake-toggle').click();
}

/** Closes the lake's panel (it sits over the editor). */
async function closeLakePanel() {
  if (await page.getByTestId('lake-panel').count()) await page.getByTestId('lake-toggle').click();
}

function walk(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, base) : [path.relative(base, full)];
  });
}

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('the sample lake\'s partitions hold the rows of the CLI generator\'s lake', async () => {
  await makeLake();
  await openLakePanel();
  const status = await page.getByTestId('lake-status').evaluate((s) => ({ ...s.dataset }));
  const cliFiles = walk(cliLake).filter((f) => f.endsWith('.parquet'));
  assert.equal(Number(status.total), cliFiles.length, 'one file per CLI file');
  assert.equal(status.kept, 'true');
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
  await screenshot(page, 'sample-lake');
  await closeLakePanel();
  assert.deepEqual((await tableNames(page)).sort(), ['fhv', 'green', 'taxi_zone_lookup', 'yellow']);
  for (const service of ['yellow', 'green', 'fhv']) {
    // DuckDB reads month=01 as text; Kiln, like Spark, as a number.
    const sql = (t) => `SELECT CAST(year AS INT) AS y, CAST(month AS INT) AS m, count(*) AS n FROM ${t}
      GROUP BY y, m ORDER BY y, m`;
    await runSql(page, sql(service));
    const shown = (await readResult(page)).rows.map((r) => r.map(Number));
    const expected = oracle('query', sql('t'), `t=${path.join(cliLake, service)}`);
    assert.deepEqual(shown, expected, `${service}: rows per partition`);
  }
});

test('the lake downloads as the very files the CLI writes', async () => {
  await page.getByTestId('lake-toggle').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('lake-download').click(),
  ]);
  const dir = tempDir('lake-zip');
  const zip = path.join(dir, 'lake.zip');
  await download.saveAs(zip);
  const entries = oracle('unzip', zip, dir).map((e) => e.name);
  const root = entries[0].split('/')[0];
  const inZip = entries.map((e) => e.slice(root.length + 1)).sort();
  const fromCli = walk(cliLake).filter((f) => f.endsWith('.parquet')).sort();
  assert.deepEqual(inZip, fromCli);
  for (const f of fromCli) assert.equal(sha(path.join(dir, root, f)), sha(path.join(cliLake, f)), f);
  await closeLakePanel();
});

test('a reload opens the kept lake instead of making it again', async () => {
  await page.reload();
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=table-item][data-table="fhv"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('lake-toggle').click();
  const status = await page.getByTestId('lake-status').evaluate((s) => ({ ...s.dataset }));
  assert.equal(status.phase, 'ready');
  assert.equal(status.kept, 'true');
  await closeLakePanel();
  const sql = 'SELECT count(*) AS n FROM fhv';
  await runSql(page, sql);
  const expected = oracle('query', 'SELECT count(*) FROM t', `t=${path.join(cliLake, 'fhv')}`);
  assert.equal(Number((await readResult(page)).rows[0][0]), expected[0][0]);
  // Forgotten, it is not there after the next reload.
  await page.getByTestId('lake-toggle').click();
  await page.getByTestId('lake-forget').click();
  await page.locator('[data-testid=lake-status][data-kept=false]').waitFor();
  await page.reload();
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  assert.deepEqual(await tableNames(page), []);
});
