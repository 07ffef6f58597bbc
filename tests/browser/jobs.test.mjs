// Jobs run as stages and tasks on the pool of web workers: the answers must equal
// DuckDB's for 1, 2, 4 and 8 workers, with scans split into row-group ranges, under
// injected task failures and a killed worker; cancel must stop everything at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, resultRowCount, oracle, generateTaxi, assertRowsEqual,
  tempDir, screenshot, setSetting, saveEventLog,
} from './harness.mjs';

let page, lake, zones;

withPage(async (opened) => {
  page = opened;
  const taxiDir = generateTaxi(300_000);
  lake = tempDir('lake');
  // Small row groups, so `split MB = 1` gives several scan tasks per file.
  oracle('regroup', path.join(taxiDir, 'yellow'), path.join(lake, 'yellow'), '16384');
  zones = path.join(taxiDir, 'taxi_zone_lookup.parquet');
  await page.getByTestId('folder-input').setInputFiles(path.join(lake, 'yellow'));
  await addFiles(page, [zones]);
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
});

const tables = () => [`yellow=${path.join(lake, 'yellow')}`, `taxi_zone_lookup=${zones}`];

// Every query orders its rows fully, so the page's table compares row by row.
const QUERIES = {
  group_by: `SELECT payment_type, count(*) AS trips, sum(total_amount) AS total
    FROM yellow GROUP BY payment_type ORDER BY payment_type`,
  broadcast_join: `SELECT z."Borough" AS borough, count(*) AS trips FROM yellow y
    JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID" GROUP BY z."Borough" ORDER BY borough`,
  top_n: `SELECT total_amount, tpep_pickup_datetime, "PULocationID" FROM yellow
    ORDER BY total_amount DESC, tpep_pickup_datetime, "PULocationID" LIMIT 10`,
  count_distinct: `SELECT count(DISTINCT "PULocationID") AS zones, count(DISTINCT "VendorID") AS vendors FROM yellow`,
  window: `SELECT "PULocationID", rk, count(*) AS n FROM (SELECT "PULocationID",
    rank() OVER (PARTITION BY "PULocationID" ORDER BY total_amount DESC) AS rk FROM yellow) w
    WHERE rk <= 2 GROUP BY "PULocationID", rk ORDER BY "PULocationID", rk`,
  union_subquery: `SELECT kind, count(*) AS n FROM (SELECT 'cheap' AS kind FROM yellow WHERE total_amount < 10
    UNION ALL SELECT 'manhattan' FROM yellow WHERE "PULocationID" IN
    (SELECT "LocationID" FROM taxi_zone_lookup WHERE "Borough" = 'Manhattan')) u GROUP BY kind ORDER BY kind`,
};

const setInput = (testid, value) => setSetting(page, testid, value);

async function settings({ workers = 2, partitions = '', splitMb = 1, fail = 0, kill = false } = {}) {
  await setInput('workers', workers);
  await setInput('partitions', partitions);
  await setInput('split-mb', splitMb);
  await setInput('fail-probability', fail);
  await setInput('kill-worker', kill);
}

async function job() {
  return page.getByTestId('job').evaluate((el) => ({
    status: el.dataset.status,
    workers: Number(el.dataset.workers),
    stages: [...el.querySelectorAll('[data-testid=stage]')].map((s) => ({
      tasks: Number(s.dataset.tasks), done: Number(s.dataset.done), failed: Number(s.dataset.failed),
    })),
  }));
}

const savedEvents = () => saveEventLog(page);

async function checkQuery(name, what) {
  await runSql(page, QUERIES[name]);
  assert.equal(await page.getByTestId('error-panel').count(), 0,
    `${what}: ${await page.getByTestId('error-panel').allTextContents()}`);
  const expected = oracle('query', QUERIES[name], ...tables());
  // The table shows the first page; the row count covers the rest.
  assert.equal(await resultRowCount(page), expected.length, `${what}: row count`);
  const shownRows = (await readResult(page)).rows;
  assertRowsEqual(assert, shownRows, expected.slice(0, shownRows.length), what);
  const shown = await job();
  assert.equal(shown.status, 'succeeded', what);
  for (const stage of shown.stages) assert.equal(stage.done, stage.tasks, `${what}: every task done`);
  return shown;
}

for (const workers of [1, 2, 4, 8]) {
  test(`the query suite equals DuckDB on ${workers} worker(s)`, async () => {
    await settings({ workers });
    for (const name of Object.keys(QUERIES)) {
      const shown = await checkQuery(name, `${name} on ${workers} workers`);
      assert.equal(shown.workers, workers);
    }
  });
}

test('a job\'s stages and tasks are the plan\'s, and its event log says so', async () => {
  await settings({ workers: 3, partitions: 5 });
  const shown = await checkQuery('broadcast_join', 'broadcast join');
  assert.equal(shown.stages.length, 4, 'broadcast; join + partial aggregate; final aggregate + sort; merge');
  assert.ok(shown.stages[1].tasks > 3, 'the scan is split by row groups');
  assert.equal(shown.stages[2].tasks, 5, 'one reduce task per shuffle partition');
  await screenshot(page, 'job-progress');
  const events = await savedEvents();
  assert.equal(events[0].event, 'job_submitted');
  assert.equal(events.at(-1).event, 'job_succeeded');
  const finished = events.filter((e) => e.event === 'task_finished');
  shown.stages.forEach((stage, id) => {
    assert.equal(finished.filter((e) => e.stage === id).length, stage.tasks, `stage ${id} tasks finished`);
  });
  const workers = new Set(events.filter((e) => e.event === 'task_started').map((e) => e.worker));
  assert.ok(workers.size >= 2 && workers.size <= 3, `tasks ran on ${workers.size} workers`);
  for (const e of finished) {
    assert.ok(e.metrics.peak_memory_bytes > 0, 'each task reports its worker\'s memory');
    assert.ok(e.metrics.peak_heap_bytes > 0 && e.metrics.peak_heap_bytes <= e.metrics.peak_memory_bytes,
      `a task's heap peak is within its worker's memory: ${e.metrics.peak_heap_bytes} of ${e.metrics.peak_memory_bytes}`);
  }
  const scanned = finished.filter((e) => e.stage === 1)
    .reduce((n, e) => n + e.metrics.rows_in - e.metrics.shuffle_read_rows, 0);
  assert.equal(scanned, oracle('query', 'SELECT count(*) FROM yellow', ...tables())[0][0]);
  assert.ok(finished.filter((e) => e.stage === 1).every((e) => e.metrics.shuffle_write_bytes > 0));
});

test('injected task failures are retried and the answer stays right', async () => {
  await settings({ workers: 2, fail: 40 });
  const shown = await checkQuery('group_by', 'group by with failures');
  assert.ok(shown.stages.some((s) => s.failed > 0), 'some attempts failed');
  const events = await savedEvents();
  const failed = events.filter((e) => e.event === 'task_failed');
  assert.ok(failed.length > 0 && failed.every((e) => e.will_retry && /injected failure/.test(e.error.message)));
});

test('a worker that crashes mid-job is replaced and its task runs again', async () => {
  await settings({ workers: 2, kill: true });
  await checkQuery('window', 'window with a crashed worker');
  const events = await savedEvents();
  const lost = events.filter((e) => e.event === 'worker_lost');
  assert.equal(lost.length, 1);
  assert.match(lost[0].reason, /crashed/, 'the worker trapped for real');
  const started = events.filter((e) => e.event === 'task_started');
  assert.ok(started.some((e) => e.attempt > 0), 'the lost attempt ran again');
  assert.ok(new Set(started.map((e) => e.worker)).size >= 3, 'a new worker took the dead one\'s place');
});

test('cancel stops every task at once and the pool runs the next job', async () => {
  await settings({ workers: 2 });
  // A self-join on the pickup zone: hundreds of millions of matches, many seconds of work.
  const slow = `SELECT count(*) AS n FROM yellow a JOIN yellow b ON a."PULocationID" = b."PULocationID"`;
  const editor = page.getByTestId('sql-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill(slow);
  await editor.press('Control+Enter');
  await page.locator('[data-testid=job][data-status=running] [data-testid=stage]').first().waitFor();
  // Long enough for tasks to report progress (every 250 ms) while they run.
  await page.waitForTimeout(800);
  const clicked = Date.now();
  await page.getByTestId('stop-button').click();
  await page.locator('[data-testid=job][data-status=cancelled]').waitFor({ timeout: 5_000 });
  const stoppedMs = Date.now() - clicked;
  console.log(`cancel: the job showed as cancelled ${stoppedMs} ms after the click`);
  assert.ok(stoppedMs < 1000, `cancel took ${stoppedMs} ms`);
  const events = await savedEvents();
  const cancelled = events.findIndex((e) => e.event === 'job_cancelled');
  assert.ok(cancelled > 0, 'the log records the cancel');
  assert.ok(events.slice(0, cancelled).some((e) => e.event === 'task_progress'),
    'running tasks reported progress');
  assert.deepEqual(events.slice(cancelled + 1), [], 'no task event after the cancel');
  await page.waitForTimeout(300);
  assert.equal((await savedEvents()).length, events.length, 'and none later either');
  await checkQuery('group_by', 'the job after a cancel');
  assert.deepEqual(page.errors, []);
});

test('a file whose data is corrupt fails its job after 4 attempts, naming the file', async () => {
  await settings({ workers: 2 });
  const src = path.join(lake, 'yellow', readdirSync(path.join(lake, 'yellow'))[0]);
  const bytes = readFileSync(src);
  // The footer stays intact (the table is added); the pages before it are garbage.
  for (let i = 4; i < bytes.length / 2; i += 97) bytes[i] = 0xff;
  const bad = path.join(tempDir('bad'), 'broken_trips.parquet');
  writeFileSync(bad, bytes);
  await addFiles(page, [bad]);
  await page.locator('[data-testid=table-item][data-table="broken_trips"]').waitFor();
  await runSql(page, 'SELECT sum(total_amount) FROM broken_trips');
  const message = await page.getByTestId('error-panel').textContent();
  assert.match(message, /failed 4 times/);
  assert.match(message, /broken_trips\.parquet/);
  assert.equal((await job()).status, 'failed');
  await checkQuery('count_distinct', 'the job after a failed one');
});

test('shrinking the pool while a job runs loses no task', async () => {
  await settings({ workers: 4 });
  const before = await page.getByTestId('job').getAttribute('data-job');
  const editor = page.getByTestId('sql-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill(QUERIES.window);
  await editor.press('Control+Enter');
  // Shrink once this job's tasks are running on the 4 workers.
  await page.waitForFunction((prev) => {
    const job = document.querySelector('[data-testid=job]');
    return job && job.dataset.job !== prev && job.dataset.status === 'running';
  }, before);
  await setInput('workers', 1);
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'ready',
    null, { timeout: 60_000 });
  const expected = oracle('query', QUERIES.window, ...tables());
  assert.equal(await resultRowCount(page), expected.length);
  const shownRows = (await readResult(page)).rows;
  assertRowsEqual(assert, shownRows, expected.slice(0, shownRows.length), 'window while shrinking');
  const shrunk = await job();
  assert.equal(shrunk.status, 'succeeded');
  assert.equal(shrunk.workers, 4, 'the job started on 4 workers');
  await checkQuery('group_by', 'a job on the shrunk pool');
  assert.equal((await job()).workers, 1);
});
