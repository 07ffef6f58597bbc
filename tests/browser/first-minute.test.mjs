// A person who has never seen the page, with a file of their own or none: using only what
// the page shows (roles, labels, visible text; no test ids to act), they open a file, run
// the query the page offers, open a stage of its job and download the result; or make the
// sample lake and answer the first lesson. Answers are DuckDB's on the same files. The time
// from opening the page to the first result, and the clicks it took, go to
// tests/artifacts/first-minute.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, openPage, oracle, generateTaxi, tempDir, readResult, assertRowsEqual, screenshot, KILN, ARTIFACTS,
} from './harness.mjs';

const session = withPage(async () => {});

/** Whether a person can read the element: scrolled into view, not cut by its own box
 *  (a panel squeezed to a sliver), and not under anything else (a popover). */
async function readable(locator) {
  await locator.scrollIntoViewIfNeeded();
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 8));
    const boxes = [];
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1 && e.clientHeight < 3 * 16) {
        boxes.push(`${e.className} is ${e.clientHeight}px of ${e.scrollHeight}px`);
      }
    }
    return { covered: !(top && (el.contains(top) || top.contains(el))), clipped: boxes, height: r.height };
  });
}
const measured = {};

test('a newcomer opens a file, runs the offered query, opens a stage and downloads the result', async () => {
  const taxi = generateTaxi(50_000);
  const file = path.join(taxi, 'yellow/yellow_tripdata_2024-01.parquet');
  const start = Date.now();
  const page = await openPage(session.browser, session.server.url);
  const ready = Date.now();
  let clicks = 0;

  // Opening the file is one click and a pick in the file chooser.
  await page.getByLabel('Open files…').setInputFiles(file);
  clicks += 1;
  const editor = page.getByRole('textbox', { name: 'SQL query' });
  await page.getByRole('button', { name: 'Show the first 100 rows' }).waitFor();
  const offered = await editor.inputValue();
  assert.match(offered, /^SELECT \* FROM yellow_tripdata_2024_01 LIMIT 100;$/m, 'the editor offers a query over the file');
  assert.doesNotMatch(offered, /hello/, 'the example is gone');
  await screenshot(page, 'first-minute-file-opened');

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  clicks += 1;
  await page.getByRole('tab', { name: 'Results', selected: true }).waitFor();
  await page.getByText(/^100 rows/).first().waitFor({ timeout: 60_000 });
  const firstResult = Date.now();
  const shown = await readResult(page);
  // One file smaller than a split is one scan task, read in file order, as DuckDB reads it.
  const expected = oracle('query', 'SELECT * FROM t LIMIT 100', `t=${file}`);
  assert.equal(shown.rows.length > 0, true);
  assertRowsEqual(assert, shown.rows, expected.slice(0, shown.rows.length), 'the first rows');

  // The job's stages, and a stage's page, by their names.
  await page.getByRole('tab', { name: 'Stages' }).click();
  clicks += 1;
  await page.getByRole('button', { name: /^Stage 0 · \d+\/\d+ tasks/ }).click();
  clicks += 1;
  await page.getByRole('heading', { name: /^Stage 0: \d+ attempts?/ }).waitFor();
  await screenshot(page, 'first-minute-stage');

  // The download is the result DuckDB computes.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'CSV', exact: true }).click(),
  ]);
  clicks += 1;
  const local = path.join(tempDir('first-minute'), 'result.csv');
  await download.saveAs(local);
  const check = oracle('check-export', 'csv', local, 'SELECT * FROM t LIMIT 100', `t=${file}`);
  assert.equal(check.rows, 100);
  assert.ok(check.equal, `the CSV holds DuckDB's rows: missing ${JSON.stringify(check.missing)}, extra ${JSON.stringify(check.extra)}`);
  assert.deepEqual(page.errors, []);

  measured.file = {
    page_ready_ms: ready - start,
    first_result_ms: firstResult - start,
    clicks_to_first_result: 2,
    clicks_to_download: clicks,
  };
  await page.context().close();
});

test('a newcomer makes the sample lake and answers the first lesson', async () => {
  const rows = 60_000;
  const lake = tempDir('first-minute-lake');
  execFileSync(KILN, ['gen', 'taxi', '--rows', String(rows), '--months', '3', '--seed', '42',
    '--fhv', '--layout', 'lake', '--out', lake]);
  const start = Date.now();
  const page = await openPage(session.browser, session.server.url);

  await page.getByRole('button', { name: 'Sample lake' }).click();
  await page.getByLabel('Trips', { exact: true }).fill(String(rows));
  await page.getByLabel('Months').selectOption('3');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  // Made, the lake's popover gets out of the way and its tables are on the left.
  await page.getByRole('button', { name: 'Generate', exact: true }).waitFor({ state: 'detached', timeout: 180_000 });
  await page.getByText('taxi_zone_lookup', { exact: true }).first().waitFor();

  await page.getByRole('button', { name: 'Workshop' }).click();
  await page.getByRole('heading', { name: /^1\. / }).waitFor();
  await page.getByRole('button', { name: 'Load and run' }).click();
  await page.getByRole('tab', { name: 'Results', selected: true }).waitFor();
  await page.getByText(/^1 row/).first().waitFor({ timeout: 60_000 });
  const firstResult = Date.now();
  const question = page.getByLabel('How many yellow trips did the job count?');
  assert.deepEqual(await readable(question), { covered: false, clipped: [], height: (await question.boundingBox()).height },
    'the lesson stays readable: nothing covers it');
  const [[trips]] = oracle('query', 'SELECT count(*) FROM t', `t=${path.join(lake, 'yellow')}`);
  await question.fill(String(trips));
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByText('Right.', { exact: true }).waitFor();
  await screenshot(page, 'first-minute-lesson');

  // With the workshop open, a failing PySpark program's message is there to read whole.
  await page.getByRole('tab', { name: 'PySpark' }).click();
  const program = page.getByRole('textbox', { name: 'PySpark program' });
  await program.fill('trips = spark.read.parquet("yellow")\ntrips.select("no_such_column").show()\n');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const message = page.getByText(/no_such_column/).last();
  await message.waitFor({ timeout: 60_000 });
  const seen = await readable(message);
  assert.equal(seen.covered, false, 'nothing lies over the error');
  assert.deepEqual(seen.clipped, [], 'no panel squeezes the error to a sliver');
  await screenshot(page, 'first-minute-pyspark-error');
  assert.deepEqual(page.errors, []);
  measured.lake = { first_result_ms: firstResult - start };
  await page.context().close();
});

test('the first minute is recorded', () => {
  assert.ok(measured.file && measured.lake, 'both journeys ran');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'first-minute.json'), `${JSON.stringify(measured, null, 2)}\n`);
});
