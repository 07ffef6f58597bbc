// Not a test: runs a scan + filter + partial aggregate job over one Parquet file in the
// page and prints its time and every worker's peak wasm memory, for notes (e.g. on a
// 10 GB file made with `kiln gen taxi --rows 590000000 --months 1`).
// Usage: node measure-memory.mjs FILE [SPLIT_MB] [WORKERS]
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  startServer, launch, openPage, runSql, addFiles, readResult, setSetting, saveEventLog,
} from './harness.mjs';

const [file, splitMb = '128', workers = '2'] = process.argv.slice(2);
const table = path.basename(file, '.parquet').replace(/[^a-z0-9_]/gi, '_').toLowerCase();
const server = await startServer();
const browser = await launch();
try {
  const page = await openPage(browser, server.url);
  await addFiles(page, [file]);
  await page.locator(`[data-testid=table-item][data-table="${table}"]`).waitFor({ timeout: 300_000 });
  await setSetting(page, 'workers', workers);
  await setSetting(page, 'split-mb', splitMb);
  const started = Date.now();
  await runSql(page, `SELECT payment_type, count(*) AS trips, sum(fare_amount) AS fares FROM ${table}
    WHERE trip_distance > 1 GROUP BY payment_type ORDER BY payment_type`);
  const wall = Date.now() - started;
  const errors = await page.getByTestId('error-panel').allTextContents();
  if (errors.length) throw new Error(errors.join('\n'));
  const events = await saveEventLog(page);
  const finished = events.filter((e) => e.event === 'task_finished');
  const peaks = new Map();
  for (const e of finished) peaks.set(e.worker, Math.max(peaks.get(e.worker) ?? 0, e.metrics.peak_memory_bytes));
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const rows = (await readResult(page)).rows.reduce((n, r) => n + Number(r[1]), 0);
  console.log(`${mb(statSync(file).size)} MB file, split ${splitMb} MB, ${workers} workers: ` +
    `${finished.filter((e) => e.stage === 0).length} scan tasks, ${wall} ms, ${rows} rows counted; peak wasm memory: ` +
    [...peaks].map(([w, p]) => `worker ${w} ${mb(p)} MB`).join(', '));
} finally {
  await browser.close();
  server.stop();
}
