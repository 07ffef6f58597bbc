// Driving Kiln's page for a benchmark: load the generated tables, run a query timed inside
// the page, fetch its answer and its workers' peak memory. Shared by run.mjs and ab.mjs.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { openPage, saveEventLog, typeSql } from '../tests/browser/harness.mjs';

export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') { quoted = true; wasQuoted = true; } else if (c === ',') {
      row.push(wasQuoted || field !== '' ? field : null); field = ''; wasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(wasQuoted || field !== '' ? field : null); rows.push(row); row = []; field = ''; wasQuoted = false;
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/** The taxi data's tables, as `kiln gen` lays them out. */
export const TAXI_TABLES = [
  { table: 'yellow', path: 'yellow', folder: true },
  { table: 'green', path: 'green', folder: true },
  { table: 'taxi_zone_lookup', path: 'taxi_zone_lookup.parquet', folder: false },
];

/** Every table of a data folder as the page opens it: each folder one table, each
 * Parquet file one table (TPC-H as tpchgen-cli writes it). */
export function tablesOf(dir) {
  return readdirSync(dir).filter((e) => !e.startsWith('.')).sort().flatMap((e) => {
    if (statSync(path.join(dir, e)).isDirectory()) return [{ table: e, path: e, folder: true }];
    return e.endsWith('.parquet') ? [{ table: e.replace(/\.parquet$/, ''), path: e, folder: false }] : [];
  });
}

/** The page with `tables` of `dir` opened, as a person would: folders picked with the
 * folder button, single files with the file button. */
export async function kilnPage(browser, url, dir, tables = TAXI_TABLES, { init } = {}) {
  const page = await openPage(browser, `${url}/`, { init });
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 120_000 });
  for (const t of tables) {
    await page.getByTestId(t.folder ? 'folder-input' : 'file-input').setInputFiles(path.join(dir, t.path));
    await page.locator(`[data-testid=table-item][data-table="${t.table}"]`).waitFor({ timeout: 120_000 });
  }
  return page;
}

/** One run in the page, timed inside it: from the status turning busy to it turning idle. */
export async function kilnRun(page, sql) {
  const editor = await typeSql(page, sql);
  await page.evaluate(() => {
    const status = document.querySelector('[data-testid=status]');
    window.benchRun = { start: null, end: null };
    window.benchWatch?.disconnect();
    window.benchWatch = new MutationObserver(() => {
      const run = window.benchRun;
      if (status.dataset.state === 'running') run.start ??= performance.now();
      else if (run.start !== null) run.end ??= performance.now();
    });
    window.benchWatch.observe(status, { attributes: true, attributeFilter: ['data-state'] });
  });
  await editor.press('Control+Enter');
  await page.waitForFunction(() => window.benchRun.end !== null, null, { timeout: 900_000, polling: 50 });
  const error = page.getByTestId('error-panel');
  if (await error.count()) throw new Error(`Kiln: ${(await error.first().textContent()).slice(0, 400)}`);
  return page.evaluate(() => window.benchRun.end - window.benchRun.start);
}

export async function kilnAnswer(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-csv').click()]);
  const [header, ...rows] = parseCsv(readFileSync(await download.path(), 'utf8'));
  return { columns: header, rows };
}

/** The most memory one task took on each worker in the last job, from its event log. */
export async function peakPerWorker(page) {
  const events = await saveEventLog(page);
  const peaks = {};
  for (const e of events) {
    if (e.event === 'task_finished' && e.metrics?.peak_memory_bytes) {
      const w = e.worker ?? 'worker';
      peaks[w] = Math.max(peaks[w] ?? 0, e.metrics.peak_memory_bytes);
    }
  }
  return peaks;
}
