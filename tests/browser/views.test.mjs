// The views of a job: the stage DAG drawn as a graph with its exchanges, and a stage's
// page with its task attempts and quantiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, addFiles, runSql, generateTaxi, screenshot, setSetting, saveEventLog,
} from './harness.mjs';

let page;

withPage(async (opened) => {
  page = opened;
  const taxiDir = generateTaxi(300_000);
  await page.getByTestId('folder-input').setInputFiles(path.join(taxiDir, 'yellow'));
  await addFiles(page, [path.join(taxiDir, 'taxi_zone_lookup.parquet')]);
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'workers', 2);
});

async function dag() {
  await page.locator('[data-testid=job][data-status=succeeded]').waitFor();
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
  await screenshot(page, 'dag-group-by');
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
  await screenshot(page, 'dag-shuffle-join');
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
  await screenshot(page, 'stage-page');
});

test('the timeline has one lane per worker and one bar per attempt, failed ones marked', async () => {
  await setSetting(page, 'fail-probability', 40);
  await runSql(page, 'SELECT payment_type, count(*) AS n FROM yellow GROUP BY payment_type');
  await dag();
  await setSetting(page, 'fail-probability', 0);
  const events = await saveEventLog(page);
  const started = events.filter((e) => e.event === 'task_started');
  const timeline = page.getByTestId('timeline');
  const lanes = await timeline.getByTestId('timeline-lane').evaluateAll((gs) => gs.map((g) => Number(g.dataset.worker)));
  assert.deepEqual(lanes, [...new Set(started.map((e) => e.worker))].sort((a, b) => a - b));
  assert.ok(lanes.length <= 2);
  const bars = await timeline.getByTestId('timeline-bar').evaluateAll((rs) => rs.map((r) => r.dataset.status));
  assert.equal(bars.length, started.length);
  const failed = events.filter((e) => e.event === 'task_failed').length;
  assert.ok(failed > 0, 'the fault injection failed some attempts');
  assert.equal(bars.filter((s) => s === 'failed').length, failed);
  await screenshot(page, 'timeline');
});
