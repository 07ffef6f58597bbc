// A result of over 5 million rows: it scrolls to its last row, and downloads without
// the tab holding the file beside the result. The tab's memory is read from Linux
// (/proc) for the renderer process that hosts the page and its workers; its peak is
// reset before the download, so the peak after it is the download's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, runSql, oracle, generateTaxi, tempDir, setSetting, resultRowCount, screenshot,
} from './harness.mjs';

let page;
let taxiDir;
let pids;

withPage(async (opened, browser) => {
  page = opened;
  taxiDir = generateTaxi(6_000_000, 42, 2);
  await page.getByTestId('folder-input').setInputFiles(path.join(taxiDir, 'yellow'));
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'workers', 2);
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  pids = {
    renderer: processInfo.filter((p) => p.type === 'renderer').map((p) => p.id),
    browser: processInfo.filter((p) => p.type === 'browser').map((p) => p.id),
  };
});

/** VmRSS and VmHWM (peak) of processes, in MiB. */
function memory(ids) {
  return ids.map((id) => {
    const status = readFileSync(`/proc/${id}/status`, 'utf8');
    const kb = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))[1]);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  });
}

const resetPeaks = (ids) => ids.forEach((id) => writeFileSync(`/proc/${id}/clear_refs`, '5'));
const sum = (list, key) => list.reduce((n, m) => n + m[key], 0);

const SQL = 'SELECT tpep_pickup_datetime, "PULocationID", total_amount FROM yellow';

test('a result of over 5 million rows scrolls to its last row and downloads without doubling the tab', async () => {
  const table = `yellow=${path.join(taxiDir, 'yellow')}`;
  const [[count, total]] = oracle('query', 'SELECT count(*), round(sum(total_amount), 2) FROM yellow', table);
  assert.ok(count >= 5_000_000, `${count} rows`);
  await runSql(page, SQL);
  assert.equal(await resultRowCount(page), count);

  await page.getByTestId('jump-last').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=result-table] td.loading'));
  const last = await page.locator('[data-testid=result-table] tbody tr').last().getAttribute('data-row');
  assert.equal(Number(last), count);
  await screenshot(page, 'results-large-last-row');

  for (const fmt of ['csv', 'parquet']) {
    resetPeaks(pids.renderer);
    resetPeaks(pids.browser);
    const before = memory(pids.renderer);
    const [file] = await Promise.all([
      page.waitForEvent('download', { timeout: 300_000 }),
      page.getByTestId(`save-${fmt}`).click(),
    ]);
    const target = path.join(tempDir('large'), file.suggestedFilename());
    await file.saveAs(target);
    await page.locator('[data-testid=export-status][data-done=true]').waitFor({ timeout: 300_000 });
    const during = memory(pids.renderer);
    const browserPeak = sum(memory(pids.browser), 'peak');
    const size = statSync(target).size / (1 << 20);
    const reader = fmt === 'csv' ? `read_csv('${target}')` : `read_parquet('${target}')`;
    const [[n, s]] = oracle('query', `SELECT count(*), round(sum(total_amount), 2) FROM ${reader}`);
    assert.equal(n, count, `${fmt}: rows read back`);
    assert.ok(Math.abs(s - total) < 0.01 * Math.max(1, Math.abs(total)) / 100, `${fmt}: sum ${s} vs ${total}`);
    const base = sum(before, 'rss');
    const peak = sum(during, 'peak');
    console.log(`${fmt} download of ${count} rows: file ${size.toFixed(0)} MiB; tab (renderer) `
      + `${base.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB during (+${(peak - base).toFixed(0)} MiB); `
      + `browser process peak ${browserPeak.toFixed(0)} MiB`);
    assert.ok(peak < 2 * base, `the tab's memory doubled: ${base.toFixed(0)} -> ${peak.toFixed(0)} MiB`);
    if (fmt === 'csv') {
      // Text is encoded and handed out a chunk at a time: the tab never holds the file.
      // (Parquet's writer buffers a row group of up to 1M rows before it can write it.)
      assert.ok(peak - base < size, `the tab held the ${size.toFixed(0)} MiB file: +${(peak - base).toFixed(0)} MiB`);
    }
  }
});
