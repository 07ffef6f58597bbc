// The views of a job: the stage DAG drawn as a graph with its exchanges, a stage's page
// with its task attempts and quantiles, the plans with per-operator metrics, progress,
// the timeline and its scrub, the jobs list, and a saved event log replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, addFiles, runSql, generateTaxi, setSetting, saveEventLog, oracle, tempDir,
  showJobView, screenshotJobPanel, readResult, assertRowsEqual,
} from './harness.mjs';
import { writeFileSync } from 'node:fs';
import { screenshot } from './harness.mjs';

let page;
let taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(300_000);
  await page.getByTestId('folder-input').setInputFiles(path.join(taxiDir, 'yellow'));
  await addFiles(page, [path.join(taxiDir, 'taxi_zone_lookup.parquet')]);
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'workers', 2);
});

/** Waits for the shown job to succeed and returns its id. */
async function succeeded() {
  const job = page.locator('[data-testid=job][data-status=succeeded]');
  await job.waitFor();
  return Number(await job.getAttribute('data-job'));
}

async function dag() {
  await succeeded();
  await showJobView(page, 'stages');
  return page.getByTestId('stage-dag').evaluate((svg) => ({
    stages: [...svg.querySelectorAll('[data-testid=dag-stage]')].map((g) => ({
      id: Number(g.dataset.stage), status: g.dataset.status,
    })),
    edges: [...svg.querySelectorAll('[data-testid=dag-edge]')].map((g) => ({
      kind: g.dataset.kind, from: Number(g.dataset.from), to: Number(g.dataset.to),
    })),
  }));
}

test('a group-by is two stages joined by one shuffle', async () => {
  await runSql(page, 'SELECT payment_type, count(*) AS n FROM yellow GROUP BY payment_type');
  const g = await dag();
  assert.equal(g.stages.length, 2);
  assert.deepEqual(g.edges, [{ kind: 'shuffle', from: 0, to: 1 }]);
  assert.ok(g.stages.every((s) => s.status === 'done'));
  await screenshotJobPanel(page, 'view-stages-group-by');
});

test('a join with the zone table broadcasts it', async () => {
  await runSql(page, `SELECT z."Borough", count(*) AS n FROM yellow y
    JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID" GROUP BY z."Borough"`);
  const g = await dag();
  assert.equal(g.stages.length, 3);
  assert.deepEqual(g.edges.map((e) => e.kind).sort(), ['broadcast', 'shuffle']);
});

test('a join of two large tables is three stages, two shuffles into the join', async () => {
  await runSql(page, `SELECT a."VendorID", b.total_amount FROM yellow a JOIN yellow b
    ON a."PULocationID" = b."PULocationID" AND a.tpep_pickup_datetime = b.tpep_pickup_datetime
    WHERE a.trip_distance + b.trip_distance > 80`);
  const g = await dag();
  assert.equal(g.stages.length, 3);
  assert.deepEqual(g.edges.map((e) => `${e.kind} ${e.from}->${e.to}`).sort(), ['shuffle 0->2', 'shuffle 1->2']);
  await screenshotJobPanel(page, 'view-stages-shuffle-join');
});

test('a count the files\' statistics answer is one stage the planner answered, with no task', async () => {
  await runSql(page, 'SELECT count(*) AS trips FROM yellow');
  const expected = oracle('query', 'SELECT count(*) AS trips FROM yellow', `yellow=${path.join(taxiDir, 'yellow')}`);
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'count(*)');
  const g = await dag();
  assert.deepEqual(g.stages, [{ id: 0, status: 'done' }]);
  const stage = page.locator('[data-testid=dag-stage][data-stage="0"]');
  assert.match(await stage.textContent(), /answered while planning/);
  const events = await saveEventLog(page);
  assert.equal(events.filter((e) => e.event === 'task_started').length, 0, 'no task ran');
  assert.equal(events.at(-1).event, 'job_succeeded');
  await stage.click();
  await page.getByTestId('answered-in-planning').waitFor();
  assert.equal(await page.getByTestId('task-row').count(), 0);
});

test('a stage\'s page lists every task with quantiles', async () => {
  await runSql(page, 'SELECT payment_type, count(*) AS n FROM yellow GROUP BY payment_type');
  await dag();
  const planned = await page.locator('[data-testid=stage][data-stage="1"]').getAttribute('data-tasks');
  await page.locator('[data-testid=dag-stage][data-stage="1"]').click();
  const stagePage = page.getByTestId('stage-page');
  await stagePage.waitFor();
  const rows = await stagePage.getByTestId('task-row').evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
  assert.equal(rows.length, Number(planned));
  assert.ok(rows.every((s) => s === 'succeeded'));
  assert.equal(await stagePage.locator('.quantiles tbody tr').count(), 5);
  // The operators' output rows: the scan stage's aggregate sees every row.
  const ops = await stagePage.getByTestId('operator-row').count();
  assert.ok(ops >= 2, 'the stage lists its operators');
  await stagePage.scrollIntoViewIfNeeded();
  await screenshot(page, 'view-stage-page');
});

test('the timeline has one lane per worker and one bar per attempt, failed ones marked', async () => {
  await setSetting(page, 'fail-probability', 40);
  await runSql(page, 'SELECT payment_type, count(*) AS n FROM yellow GROUP BY payment_type');
  await dag();
  await setSetting(page, 'fail-probability', 0);
  const events = await saveEventLog(page);
  const started = events.filter((e) => e.event === 'task_started');
  await showJobView(page, 'timeline');
  const timeline = page.getByTestId('timeline');
  const lanes = await timeline.getByTestId('timeline-lane').evaluateAll((gs) => gs.map((g) => Number(g.dataset.worker)));
  assert.deepEqual(lanes, [...new Set(started.map((e) => e.worker))].sort((a, b) => a - b));
  assert.ok(lanes.length <= 2);
  const bars = await timeline.getByTestId('timeline-bar').evaluateAll((rs) => rs.map((r) => r.dataset.status));
  assert.equal(bars.length, started.length);
  const failed = events.filter((e) => e.event === 'task_failed').length;
  assert.ok(failed > 0, 'the fault injection failed some attempts');
  assert.equal(bars.filter((s) => s === 'failed').length, failed);
  // A legend entry per stage, in the bars' colours.
  const stages = [...new Set(started.map((e) => e.stage))].sort((a, b) => a - b);
  const legend = await page.getByTestId('timeline-legend-stage').evaluateAll((ls) => ls.map((l) => Number(l.dataset.stage)));
  assert.deepEqual(legend, stages);
  // A time axis of round, rising ticks within the job's span.
  const ticks = await timeline.getByTestId('timeline-tick').evaluateAll((ts) => ts.map((t) => Number(t.dataset.ms)));
  assert.ok(ticks.length >= 2 && ticks[0] === 0 && ticks.every((t, i) => i === 0 || t > ticks[i - 1]), `ticks ${ticks}`);
  // Each bar's tooltip says which attempt it is, where it ran, and for a finished one
  // the rows its task read, as the event log says.
  const tips = await timeline.getByTestId('timeline-bar').evaluateAll((rs) => rs.map((r) => ({
    stage: Number(r.dataset.stage), task: Number(r.dataset.task), attempt: Number(r.dataset.attempt),
    status: r.dataset.status, title: r.querySelector('title').textContent,
  })));
  for (const tip of tips) {
    const start = started.find((e) => e.stage === tip.stage && e.task === tip.task && e.attempt === tip.attempt);
    assert.ok(start, `an attempt the log started: ${JSON.stringify(tip)}`);
    assert.match(tip.title, new RegExp(`^Stage ${tip.stage} · task ${tip.task} · attempt ${tip.attempt}\n`));
    assert.match(tip.title, new RegExp(`worker ${start.worker} · [\\d.]+ ms`));
    const done = events.find((e) => e.event === 'task_finished' && e.stage === tip.stage && e.task === tip.task
      && e.attempt === tip.attempt);
    if (done) assert.ok(tip.title.includes(`${done.metrics.rows_in.toLocaleString('en-US')} rows in`), tip.title);
  }
  await screenshotJobPanel(page, 'view-timeline');
});

const yellowTable = () => `yellow=${path.join(taxiDir, 'yellow')}`;

test('the plans show as trees and as text, with operator metrics after the run', async () => {
  const sql = 'SELECT payment_type, count(*) AS n FROM yellow WHERE trip_distance > 5 GROUP BY payment_type';
  await runSql(page, sql);
  await succeeded();
  await showJobView(page, 'plans');
  const view = page.getByTestId('plan-view');
  const nodes = async () => view.getByTestId('plan-node').evaluateAll((lis) => lis.map((li) => ({
    name: li.dataset.name, depth: Number(li.dataset.depth),
    detail: li.querySelector('.plan-detail').textContent,
    rows: li.querySelector('[data-testid=node-metrics]')?.dataset.rows,
  })));
  const physical = await nodes();
  const filter = physical.find((n) => n.name === 'FilterExec');
  const scan = physical.find((n) => n.name === 'DataSourceExec');
  assert.ok(filter && scan, `a filter over a scan in ${physical.map((n) => n.name)}`);
  assert.match(scan.detail, /projection=\[/);
  assert.match(scan.detail, /predicate=/, 'the filter is pushed into the scan');
  const [[expected]] = oracle('query', 'SELECT count(*) FROM yellow WHERE trip_distance > 5', yellowTable());
  assert.equal(Number(filter.rows), expected, 'the filter\'s output rows, summed over its tasks');
  await screenshotJobPanel(page, 'view-plans-physical');

  // Collapsing the root hides everything below it.
  await view.getByTestId('plan-toggle').first().click();
  assert.equal(await view.getByTestId('plan-node').count(), 1);

  await view.locator('[data-testid=plan-tab][data-tab=logical]').click();
  const logical = await nodes();
  assert.equal(logical[0].name, 'Projection');
  const scanOf = (tree) => tree.find((n) => n.name === 'TableScan');
  assert.doesNotMatch(scanOf(logical).detail, /filters=/);
  await view.locator('[data-testid=plan-tab][data-tab=optimized]').click();
  assert.match(scanOf(await nodes()).detail, /filters=\[.*trip_distance/, 'the optimizer pushed the filter');
  await screenshotJobPanel(page, 'view-plans-optimized');

  await view.getByTestId('plan-as-text').click();
  const text = await view.getByTestId('plan-text').textContent();
  assert.match(text, /^Projection: /);
  assert.equal(text.trim().split('\n').length, (await (async () => {
    await view.getByTestId('plan-as-text').click();
    return nodes();
  })()).length, 'one line of text per node of the tree');
});

test('progress reaches 100% without going back, and counts the rows read', async () => {
  // Sample the bar on every frame while the job runs.
  await page.evaluate(() => {
    window.samples = [];
    const sample = () => {
      const bar = document.querySelector('[data-testid=job-progress]');
      if (bar) window.samples.push(Number(bar.dataset.fraction));
      window.sampling = requestAnimationFrame(sample);
    };
    sample();
  });
  // A self-join with tens of millions of matches: a job of a few seconds, to watch.
  await runSql(page, `SELECT count(*) FROM yellow a JOIN yellow b
    ON a."PULocationID" = b."PULocationID" AND a.payment_type = b.payment_type`);
  await succeeded();
  const samples = await page.evaluate(() => { cancelAnimationFrame(window.sampling); return window.samples; });
  // The new job starts from 0 once; after that it never goes back.
  const drops = samples.filter((v, i) => i > 0 && v < samples[i - 1] && v !== 0);
  assert.deepEqual(drops, [], 'progress went backwards');
  assert.ok(samples.some((v) => v > 0 && v < 1), 'progress was seen between 0 and 100%');
  assert.equal(await page.getByTestId('job-progress').getAttribute('data-fraction'), '1');
  assert.equal(await page.getByTestId('job-percent').textContent(), '100%');
  // Both sides of the join scan the whole table.
  const [[rows]] = oracle('query', 'SELECT count(*) FROM yellow', yellowTable());
  assert.equal(Number(await page.getByTestId('job-rates').getAttribute('data-rows')), 2 * rows);
  assert.match(await page.getByTestId('job-rates').textContent(), /rows\/s · .*\/s/);
});

test('the cancel button of a running job stops it, and the next job runs', async () => {
  const editor = page.getByTestId('sql-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill('SELECT count(*) AS n FROM yellow a JOIN yellow b ON a."PULocationID" = b."PULocationID"');
  await editor.press('Control+Enter');
  await page.locator('[data-testid=job][data-status=running] [data-testid=job-eta]').waitFor();
  await screenshotJobPanel(page, 'view-running');
  await page.getByTestId('cancel-job').click();
  await page.locator('[data-testid=job][data-status=cancelled]').waitFor({ timeout: 5_000 });
  assert.equal(await page.getByTestId('cancel-job').count(), 0, 'no cancel button on an ended job');
  await showJobView(page, 'stages');
  const statuses = await page.getByTestId('dag-stage').evaluateAll((gs) => gs.map((g) => g.dataset.status));
  assert.ok(statuses.includes('failed'), `a stage under way shows as failed: ${statuses}`);
  await runSql(page, 'SELECT count(*) FROM yellow WHERE payment_type = 1');
  await succeeded();
  const [[expected]] = oracle('query', 'SELECT count(*) FROM yellow WHERE payment_type = 1', yellowTable());
  assert.equal(Number(await page.locator('[data-testid=result-table] tbody td').first().textContent()), expected);
});

test('the jobs list keeps every job of the session and reopens one', async () => {
  await runSql(page, 'SELECT sum(total_amount) FROM yellow');
  const first = await succeeded();
  await runSql(page, 'SELECT payment_type, count(*) FROM yellow GROUP BY payment_type');
  const second = await succeeded();
  assert.ok(second > first);
  await showJobView(page, 'jobs');
  const rows = await page.getByTestId('job-row').evaluateAll((trs) => trs.map((tr) => ({
    job: Number(tr.dataset.job), status: tr.dataset.status, sql: tr.querySelector('.job-sql').textContent,
  })));
  // Newest first, every job of this page so far.
  assert.equal(rows[0].job, second);
  assert.equal(rows[1].job, first);
  assert.equal(rows[1].sql, 'SELECT sum(total_amount) FROM yellow');
  assert.deepEqual(rows.slice(0, 2).map((r) => r.status), ['succeeded', 'succeeded']);
  assert.ok(rows.some((r) => r.status === 'cancelled'), 'the cancelled job is listed too');
  assert.deepEqual(rows.map((r) => r.job), [...rows.map((r) => r.job)].sort((a, b) => b - a));
  await screenshotJobPanel(page, 'view-jobs');
  await page.locator(`[data-testid=job-row][data-job="${first}"]`).click();
  await page.locator(`[data-testid=job][data-job="${first}"]`).waitFor();
  const g = await dag();
  // A sum over one table: partial sums gathered into a one-task result stage.
  assert.deepEqual(g.edges.map((e) => e.kind), ['gather']);
});

test('a saved event log loads back and draws the same views', async () => {
  await setSetting(page, 'fail-probability', 30);
  await runSql(page, `SELECT z."Borough", count(*) AS n FROM yellow y
    JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID" GROUP BY z."Borough"`);
  const live = await dag();
  await setSetting(page, 'fail-probability', 0);
  const views = async () => ({
    dag: await dag(),
    stages: await page.getByTestId('stage').evaluateAll((lis) => lis.map((li) => ({ ...li.dataset }))),
    bars: await (async () => {
      await showJobView(page, 'timeline');
      return page.getByTestId('timeline-bar').evaluateAll((rs) => rs.map((r) => `${r.dataset.stage} ${r.dataset.status}`));
    })(),
  });
  const before = await views();
  const events = await saveEventLog(page);
  const file = path.join(tempDir('events'), 'job-events.json');
  writeFileSync(file, JSON.stringify(events));
  await page.getByTestId('load-events').setInputFiles(file);
  await page.locator('[data-testid=job][data-replayed=true]').waitFor();
  const after = await views();
  assert.deepEqual(after, before);
  assert.deepEqual(after.dag, live);
  await showJobView(page, 'stages');
  await screenshotJobPanel(page, 'view-replayed');

  // Not an event log: a clear error, and the replayed job stays.
  const bad = path.join(tempDir('events'), 'not-a-log.json');
  writeFileSync(bad, '{"hello": 1}');
  await page.getByTestId('load-events').setInputFiles(bad);
  await page.getByTestId('error-panel').waitFor();
  assert.match(await page.getByTestId('error-panel').textContent(), /loading the event log not-a-log\.json/);
  await page.locator('[data-testid=job][data-replayed=true]').waitFor();
});

test('scrubbing a finished job\'s timeline shows every view as it was then', async () => {
  await setSetting(page, 'split-mb', 1);
  await runSql(page, 'SELECT payment_type, count(*) FROM yellow GROUP BY payment_type');
  await succeeded();
  await setSetting(page, 'split-mb', 128);
  const events = await saveEventLog(page);
  const finished = events.filter((e) => e.event === 'task_finished' && e.stage === 0).map((e) => e.at_ms);
  assert.ok(finished.length >= 3, 'several scan tasks');
  // Just after the scan's second task finished.
  const at = (finished[1] + finished[2]) / 2;
  await showJobView(page, 'timeline');
  await page.getByTestId('timeline-scrub').evaluate((input, t) => {
    input.value = String(t);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, at);
  await page.getByTestId('scrub-at').filter({ hasText: /^at / }).waitFor();
  const doneAt = finished.filter((t) => t <= at).length;
  const bars = await page.getByTestId('timeline-bar').count();
  assert.equal(bars, events.filter((e) => e.event === 'task_started' && e.at_ms <= at).length);
  await screenshotJobPanel(page, 'view-timeline-scrubbed');
  await showJobView(page, 'stages');
  assert.equal(Number(await page.locator('[data-testid=stage][data-stage="0"]').getAttribute('data-done')), doneAt);
  assert.equal(await page.locator('[data-testid=dag-stage][data-stage="1"]').getAttribute('data-status'), 'waiting');
});

test('a job of 1,000 tasks keeps the page fluid', async () => {
  await setSetting(page, 'partitions', 1000);
  // The watch must see a long task when there is one: a 70 ms busy loop first.
  const probe = await page.evaluate(async () => {
    window.longTasks = [];
    window.longTaskWatch = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push(e.duration);
    });
    window.longTaskWatch.observe({ type: 'longtask' });
    setTimeout(() => {
      const until = performance.now() + 70;
      while (performance.now() < until) { /* busy */ }
    }, 0);
    await new Promise((r) => setTimeout(r, 300));
    const seen = window.longTasks.splice(0);
    return seen;
  });
  assert.ok(probe.some((d) => d >= 70), `the long-task watch works: ${probe}`);
  const [[groups]] = oracle('query', 'SELECT count(DISTINCT "PULocationID") FROM yellow', yellowTable());
  // Once on the stage DAG and once on the timeline, the views with most to draw.
  for (const view of ['stages', 'timeline']) {
    await showJobView(page, view);
    await page.evaluate(() => { window.longTasks = []; });
    await runSql(page, 'SELECT "PULocationID", count(*) AS n FROM yellow GROUP BY "PULocationID"');
    const id = await succeeded();
    const longTasks = await page.evaluate(() => window.longTasks.splice(0));
    const events = await saveEventLog(page);
    const tasks = events[0].graph.stages.reduce((n, s) => n + s.tasks, 0);
    assert.ok(tasks >= 1000, `${tasks} tasks`);
    const elapsed = events.at(-1).at_ms;
    console.log(`1,000-task job ${id} on the ${view} view: ${tasks} tasks in ${elapsed.toFixed(0)} ms, `
      + `${longTasks.length} main-thread tasks over 50 ms (longest ${Math.max(0, ...longTasks).toFixed(0)} ms)`);
    assert.equal(await page.getByTestId('result-rowcount').textContent(), String(groups));
    assert.deepEqual(longTasks, [], 'no main-thread task over 50 ms while the job ran');
  }
  await page.evaluate(() => window.longTaskWatch.disconnect());
  await setSetting(page, 'partitions', '');
  await screenshotJobPanel(page, 'view-timeline-1000-tasks');
});
