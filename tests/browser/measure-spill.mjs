// Not a test: runs a query over a folder of Parquet files in the page with and without a
// memory budget per worker, and prints the time, each worker's peak wasm memory and
// what the tasks spilled to OPFS, for notes.
// Usage: node measure-spill.mjs FOLDER BUDGET_MB [WORKERS] [SQL]   (the table is the folder's name)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launch, openPage, runSql, setSetting, saveEventLog, readResult, resultRowCount } from './harness.mjs';

const [folder, budget, workers = '2', sqlArg] = process.argv.slice(2);
const table = path.basename(folder);
const sql = sqlArg ?? `SELECT * FROM ${table} ORDER BY total_amount, tpep_pickup_datetime`;
const server = await startServer();
const browser = await launch();
try {
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  // A fresh page for each run: a wasm instance's memory never shrinks, so its size is
  // the peak of everything it ran.
  for (const memory of [budget, '']) {
    const page = await openPage(browser, server.url);
    await page.getByTestId('folder-input').setInputFiles(folder);
    await page.locator(`[data-testid=table-item][data-table="${table}"]`).waitFor({ timeout: 300_000 });
    await setSetting(page, 'workers', workers);
    await setSetting(page, 'memory-mb', memory);
    // The renderer process hosts the page and its workers: its peak resident memory
    // (VmHWM, reset before the run) bounds what the tab took.
    const cdp = await browser.newBrowserCDPSession();
    const renderers = (await cdp.send('SystemInfo.getProcessInfo')).processInfo
      .filter((p) => p.type === 'renderer').map((p) => p.id);
    await cdp.detach();
    renderers.forEach((id) => writeFileSync(`/proc/${id}/clear_refs`, '5'));
    const started = Date.now();
    await runSql(page, sql, { timeout: 3_600_000 });
    const wall = Date.now() - started;
    const errors = await page.getByTestId('error-panel').allTextContents();
    const answer = errors.length ? null
      : { rows: await resultRowCount(page), first: (await readResult(page)).rows[0] };
    const finished = (await saveEventLog(page)).filter((e) => e.event === 'task_finished');
    const peaks = new Map();
    for (const e of finished) peaks.set(e.worker, Math.max(peaks.get(e.worker) ?? 0, e.metrics.peak_memory_bytes));
    const sum = (k) => finished.reduce((n, e) => n + e.metrics[k], 0);
    const page_mb = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    const rendererPeak = renderers.map((id) => {
      const status = readFileSync(`/proc/${id}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
    });
    console.log(`${memory ? `${memory} MB per worker` : 'no budget'}, ${workers} workers: ${wall} ms` +
      (errors.length ? `, FAILED: ${errors.join(' ').slice(0, 300)}` : `, ${answer.rows} rows, first ${JSON.stringify(answer.first)}`) +
      `; spill ${sum('spill_files')} files, ${mb(sum('spill_write_bytes'))} MB written, ${mb(sum('spill_read_bytes'))} MB read` +
      `; peak wasm memory: ${[...peaks].map(([w, p]) => `worker ${w} ${mb(p)} MB`).join(', ')}` +
      `; shuffle ${mb(sum('shuffle_disk_write_bytes'))} MB to disk of ${mb(sum('shuffle_write_bytes'))} MB` +
      `; page JS heap ${mb(page_mb)} MB; renderer peak (page and workers) ${rendererPeak.map(mb).join(' + ')} MB`);
    await page.close();
  }
} finally {
  await browser.close();
  server.stop();
}
