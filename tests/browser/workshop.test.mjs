// Workshop mode on the sample lake made in the page: every lesson step's question is
// answered with a value computed independently (DuckDB and pyarrow over the CLI's lake,
// or the step's own construction), a monthly backfill with an injected failure retries
// and writes each month's output equal to DuckDB's, and the stream of micro-batches
// ends with the batch job's windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, oracle, tempDir, KILN, screenshot, saveEventLog, runSql, readResult, setSetting,
} from './harness.mjs';

const ROWS = 60_000;
let page, lake;

withPage(async (opened) => {
  page = opened;
  lake = tempDir('workshop-lake');
  execFileSync(KILN, ['gen', 'taxi', '--rows', String(ROWS), '--months', '3', '--seed', '42',
    '--fhv', '--layout', 'lake', '--out', lake]);
  await page.getByTestId('lake-toggle').click();
  await page.getByTestId('lake-rows').fill(String(ROWS));
  await page.getByTestId('lake-months').selectOption('3');
  await page.getByTestId('lake-generate').click();
  // Made, the lake closes its panel, which would hide the lesson.
  await page.locator('[data-testid=lake-toggle][data-phase=ready]').waitFor({ timeout: 180_000 });
  await page.getByTestId('lake-panel').waitFor({ state: 'detached' });
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
  await page.getByTestId('workshop-toggle').click();
});

const as = (alias, name) => `${alias}=${path.join(lake, name)}`;
const duck = (sql, ...tables) => oracle('query', sql, ...tables);

function walk(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, base) : [path.relative(base, full)];
  });
}

/** Waits until nothing runs: the status is ready, no program console is running. */
async function settled() {
  await page.waitForFunction(() => {
    const status = document.querySelector('[data-testid=status]')?.dataset.state;
    const console_ = document.querySelector('[data-testid=console] .console-running');
    const runs = [...document.querySelectorAll('[data-testid=run-cell]')]
      .some((c) => ['queued', 'running', 'retrying'].includes(c.dataset.state));
    return status === 'ready' && !console_ && !runs;
  }, null, { timeout: 180_000 });
}

async function answer(value) {
  await page.getByTestId('lesson-answer').fill(String(value));
  await page.getByTestId('lesson-check').click();
  return page.getByTestId('lesson-verdict').getAttribute('data-verdict');
}

// Each step's independent answer, by its id.
const EXPECTED = {
  'batch-vs-streaming': () => duck('SELECT count(*) FROM t', `t=${path.join(lake, 'yellow')}`)[0][0],
  'when-batch-jobs-run': () => duck("SELECT count(DISTINCT date_trunc('day', tpep_pickup_datetime)) FROM t",
    `t=${path.join(lake, 'yellow')}`)[0][0],
  'first-look': () => {
    const first = walk(path.join(lake, 'yellow')).sort()[0];
    return oracle('describe', path.join(lake, 'yellow', first)).row_groups.length;
  },
  // Splits of 1 MB: a task per row group (this lake's row groups are each a file's
  // only one, or over 1 MB).
  'partitions-and-tasks': () => walk(path.join(lake, 'yellow'))
    .map((f) => oracle('describe', path.join(lake, 'yellow', f)).row_groups.length)
    .reduce((a, b) => a + b, 0),
  // No wide transformation: one stage.
  'narrow-and-wide': () => 1,
  // The step runs with 4 tasks per shuffle.
  'group-by-and-shuffle': () => 4,
  // One small table joined: one broadcast.
  joins: () => 1,
  skew: () => duck('SELECT "PULocationID" FROM t GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1',
    `t=${path.join(lake, 'yellow')}`)[0][0],
  // repartition(3)
  'repartition-and-coalesce': () => 3,
  'revenue-report': () => duck(`SELECT count(*) FROM (
      SELECT "PULocationID", date_trunc('month', lpep_pickup_datetime), 'green' FROM g
      UNION SELECT "PULocationID", date_trunc('month', tpep_pickup_datetime), 'yellow' FROM y)`,
  `g=${path.join(lake, 'green')}`, `y=${path.join(lake, 'yellow')}`)[0][0],
  'failures-and-retries': async () => (await saveEventLog(page)).filter((e) => e.event === 'task_failed').length,
  // The spill files the tasks' own events count (the step's answer adds up the
  // operators'); a run that spilled nothing would not teach the step.
  'memory-and-spill': async () => {
    const files = (await saveEventLog(page)).filter((e) => e.event === 'task_finished')
      .reduce((n, e) => n + e.metrics.spill_files, 0);
    assert.ok(files > 0, 'the step\'s job spilled');
    return files;
  },
  // A monthly backfill over the lake's three months.
  'parameters-and-backfills': () => 3,
  // January replayed a day at a time.
  'micro-batches': () => 31,
};

test('every lesson step\'s question is answered by an independent computation', async () => {
  const steps = await page.locator('.lesson-dot').count();
  assert.ok(steps >= 12, `${steps} steps`);
  await page.locator('.lesson-dot').first().click();
  for (let i = 0; i < steps; i++) {
    const id = await page.getByTestId('lesson').getAttribute('data-lesson');
    assert.ok(EXPECTED[id], `an expected answer for ${id}`);
    if (id === 'micro-batches') {
      await page.getByTestId('lesson-load').click();
      await page.getByTestId('stream-start').click();
      await page.locator('[data-testid=stream-results][data-finished=true]').waitFor({ timeout: 180_000 });
      await page.getByTestId('workshop-tab-lessons').click();
    } else if (await page.getByTestId('lesson-run').count()) {
      await page.getByTestId('lesson-run').click();
      await settled();
      if (id === 'parameters-and-backfills') await page.getByTestId('workshop-tab-lessons').click();
    } else {
      await page.getByTestId('lesson-load').click();
    }
    assert.equal(await page.getByTestId('error-panel').count(), 0,
      `${id}: ${await page.getByTestId('error-panel').allTextContents()}`);
    const expected = await EXPECTED[id]();
    assert.equal(await answer(expected + 1), 'wrong', `${id}: a wrong answer is refused`);
    assert.equal(await answer(expected), 'right', `${id}: ${expected} is the run's answer`);
    if (['group-by-and-shuffle', 'joins', 'first-look'].includes(id)) await screenshot(page, `lesson-${id}`);
    if (i + 1 < steps) await page.getByTestId('lesson-next').click();
  }
  const done = await page.locator('.lesson-dot.done').count();
  assert.equal(done, steps, 'every step marked done');
});

const TEMPLATE = `SELECT '{{month}}' AS month, payment_type, count(*) AS trips, round(sum(total_amount), 2) AS revenue
FROM {{service}}
WHERE tpep_pickup_datetime >= TIMESTAMP '{{start}}' AND tpep_pickup_datetime < TIMESTAMP '{{end}}'
GROUP BY payment_type`;

test('a backfill of three months with an injected failure retries it and writes each month as DuckDB computes it', async () => {
  await page.getByTestId('mode-sql').click();
  const editor = page.getByTestId('sql-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill(TEMPLATE);
  // The job's own settings, not a lesson's.
  await setSetting(page, 'fail-probability', '0');
  await page.getByTestId('workshop-tab-schedule').click();
  assert.match(await page.getByTestId('schedule-params').textContent(), /month, service, start, end/);
  await page.getByTestId('schedule-name').fill('payments_by_month');
  await page.getByTestId('schedule-name').dispatchEvent('change');
  await page.getByTestId('schedule-cadence').selectOption('monthly');
  await page.getByTestId('schedule-service').selectOption('yellow');
  await page.getByTestId('schedule-from').fill('2024-01-01');
  await page.getByTestId('schedule-from').dispatchEvent('change');
  await page.getByTestId('schedule-to').fill('2024-04-01');
  await page.getByTestId('schedule-to').dispatchEvent('change');
  await page.getByTestId('schedule-fail').selectOption({ label: '2024-02' });
  await page.getByTestId('backfill-button').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-cell]').length === 3);
  await settled();
  const cells = await page.getByTestId('run-cell').evaluateAll((cs) => Object.fromEntries(
    cs.map((c) => [c.dataset.interval, { state: c.dataset.state, attempts: Number(c.dataset.attempts) }])));
  assert.deepEqual(cells['2024-02'], { state: 'retried', attempts: 2 }, 'the failed month was retried');
  assert.deepEqual(cells['2024-01'], { state: 'succeeded', attempts: 1 });
  assert.deepEqual(cells['2024-03'], { state: 'succeeded', attempts: 1 });
  await screenshot(page, 'schedule-backfill');

  // Rerunning a month replaces its folder: the output stays the same.
  await page.locator('[data-testid=run-cell][data-interval="2024-03"]').click();
  await settled();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('output-download').click(),
  ]);
  const dir = tempDir('backfill');
  const zip = path.join(dir, 'out.zip');
  await download.saveAs(zip);
  oracle('unzip', zip, dir);
  const root = path.join(dir, 'payments_by_month');
  const months = readdirSync(root).filter((m) => m.startsWith('month=')).sort();
  assert.deepEqual(months, ['month=2024-01', 'month=2024-02', 'month=2024-03']);
  for (const m of months) {
    const month = m.slice('month='.length);
    const got = duck('SELECT month, payment_type, trips, revenue FROM r ORDER BY payment_type',
      `r=${path.join(root, m)}`);
    const expected = duck(`SELECT '${month}', payment_type, count(*), round(sum(total_amount), 2) FROM y
      WHERE tpep_pickup_datetime >= TIMESTAMP '${month}-01 00:00:00'
        AND tpep_pickup_datetime < TIMESTAMP '${month}-01 00:00:00' + INTERVAL 1 MONTH
      GROUP BY payment_type ORDER BY payment_type`, as('y', 'yellow'));
    assert.deepEqual(got, expected, `${m}'s output`);
  }
  // The output is a table too, partitioned by month.
  await runSql(page, 'SELECT count(DISTINCT month) AS months, count(*) AS n FROM payments_by_month');
  assert.equal(await page.getByTestId('error-panel').count(), 0, await page.getByTestId('error-panel').allTextContents());
  const [[distinctMonths, n]] = (await readResult(page)).rows;
  const expectedRows = duck(`SELECT count(*) FROM (SELECT DISTINCT date_trunc('month', tpep_pickup_datetime), payment_type
    FROM y WHERE tpep_pickup_datetime < TIMESTAMP '2024-04-01')`, as('y', 'yellow'))[0][0];
  assert.deepEqual([distinctMonths, n], ["3", String(expectedRows)]);
});

test('the stream of micro-batches ends with the batch job\'s windows, as DuckDB counts them', async () => {
  await page.getByTestId('workshop-tab-stream').click();
  const results = page.getByTestId('stream-results');
  assert.equal(await results.getAttribute('data-agrees'), 'true', 'stream and batch agree');
  const windows = await page.getByTestId('stream-windows').evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent.replace(/,/g, ''))]));
  const expected = duck(`SELECT strftime(date_trunc('day', tpep_pickup_datetime), '%Y-%m-%d %H:%M:%S'), count(*) FROM y
    WHERE tpep_pickup_datetime >= TIMESTAMP '2024-01-01' AND tpep_pickup_datetime < TIMESTAMP '2024-02-01'
    GROUP BY 1 ORDER BY 1`, as('y', 'yellow'));
  assert.deepEqual(windows, expected);
  await screenshot(page, 'stream');
});
