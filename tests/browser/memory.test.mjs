// Bounded memory: a scan + filter + partial aggregate over a generated file of more than
// 1 GB, in small splits, must keep every worker's wasm memory far below the file's size.
// Each task reports its worker's memory (wasm memory only grows, so it is the peak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, resultRowCount, oracle, generateTaxi, assertRowsEqual,
  setSetting, saveEventLog,
} from './harness.mjs';

// About 21 bytes a row: 59M rows give a yellow file of a little over 1 GB.
const ROWS = 59_000_000;
const LIMIT = 512 * 1024 * 1024;
let page, file;

withPage(async (opened) => {
  page = opened;
  const dir = generateTaxi(ROWS, 42, 1);
  file = path.join(dir, 'yellow/yellow_tripdata_2024-01.parquet');
  await addFiles(page, [file]);
  await page.locator('[data-testid=table-item][data-table="yellow_tripdata_2024_01"]')
    .waitFor({ timeout: 120_000 });
});

test('a 1 GB file runs in small splits with bounded memory per worker', async () => {
  const size = statSync(file).size;
  assert.ok(size > 1024 ** 3, `the file is ${size} bytes`);
  await setSetting(page, 'workers', 2);
  await setSetting(page, 'split-mb', 32);
  const sql = (t) => `SELECT payment_type, count(*) AS trips, sum(fare_amount) AS fares FROM ${t}
    WHERE trip_distance > 1 GROUP BY payment_type ORDER BY payment_type`;
  const started = Date.now();
  await runSql(page, sql('yellow_tripdata_2024_01'));
  const elapsed = Date.now() - started;
  const expected = oracle('query', sql('y'), `y=${file}`);
  assert.equal(await resultRowCount(page), expected.length);
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'group by over 1 GB');

  const events = await saveEventLog(page);
  const finished = events.filter((e) => e.event === 'task_finished');
  const scanTasks = finished.filter((e) => e.stage === 0);
  assert.ok(scanTasks.length >= 30, `${scanTasks.length} scan tasks`);
  const peaks = new Map();
  for (const e of finished) {
    peaks.set(e.worker, Math.max(peaks.get(e.worker) ?? 0, e.metrics.peak_memory_bytes));
  }
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  console.log(`memory: ${mb(size)} MB file, ${scanTasks.length} scan tasks, ${elapsed} ms; ` +
    `peak wasm memory per worker: ${[...peaks].map(([w, p]) => `worker ${w} ${mb(p)} MB`).join(', ')}`);
  for (const [worker, peak] of peaks) {
    assert.ok(peak <= LIMIT, `worker ${worker} peaked at ${mb(peak)} MB`);
  }
});
