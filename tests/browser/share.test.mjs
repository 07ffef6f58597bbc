// A job shared as a link opens the same job (its text and settings, no data) in a
// fresh browser; and the page keeps working offline once it has been loaded: with the
// server stopped, it opens again and runs a job on files picked from disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  startServer, launch, openPage, generateTaxi, addFiles, runSql, readResult, oracle,
  assertRowsEqual, resultRowCount, setSetting,
} from './harness.mjs';

const taxi = generateTaxi(40_000);
const zones = path.join(taxi, 'taxi_zone_lookup.parquet');

test('a shared link opens the same job, with its settings, in a fresh browser', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await openPage(browser, server.url);
    const sql = `SELECT "Borough", count(*) AS zones FROM taxi_zone_lookup GROUP BY 1 ORDER BY 1`;
    const editor = page.getByTestId('sql-editor');
    await editor.click();
    await editor.press('Control+a');
    await editor.fill(sql);
    await setSetting(page, 'partitions', '3');
    await setSetting(page, 'split-mb', '64');
    await page.getByTestId('share-job').click();
    const url = await page.getByTestId('share-url').inputValue();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#job=[A-Za-z0-9_-]+$/);
    assert.ok(!url.includes('Borough') && url.length < 2000, 'the text is encoded, and short');

    // Another browser profile: nothing of the first page's storage.
    const other = await openPage(browser, url);
    assert.equal(await other.getByTestId('sql-editor').inputValue(), sql);
    assert.equal(await other.getByTestId('partitions').inputValue(), '3');
    assert.equal(await other.getByTestId('split-mb').inputValue(), '64');
    await addFiles(other, [zones]);
    await other.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor();
    await runSql(other, sql);
    assertRowsEqual(assert, (await readResult(other)).rows,
      oracle('query', sql, `taxi_zone_lookup=${zones}`), 'the shared job\'s result');
    const stages = await other.locator('[data-testid=dag-stage]').count();
    assert.ok(stages >= 2);
    const tasks = await other.getByTestId('stage').evaluateAll((s) => s.map((e) => Number(e.dataset.tasks)));
    assert.ok(tasks.includes(3), `a stage of 3 tasks (the shared tasks per shuffle): ${tasks}`);

    // A damaged link says so, and the page works.
    const broken = await openPage(browser, `${server.url}#job=not-base64!`);
    assert.match(await broken.getByTestId('error-panel').textContent(), /shared link/);
  } finally {
    await browser.close();
    server.stop();
  }
});

test('after its first load the page opens and runs a job with the server stopped', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await openPage(browser, server.url);
    // The service worker has kept the whole app.
    await page.waitForFunction(async () => {
      const reg = await navigator.serviceWorker.ready;
      const cache = await caches.open('kiln-app-v1');
      return reg.active && (await cache.match('engine/kiln_browser_bg.wasm')) !== undefined;
    }, null, { timeout: 60_000 });
    server.stop();
    await new Promise((r) => setTimeout(r, 300));
    await page.reload();
    await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
    await addFiles(page, [path.join(taxi, 'yellow', 'yellow_tripdata_2024-01.parquet'), zones]);
    await page.locator('[data-testid=table-item][data-table="yellow_tripdata_2024_01"]').waitFor();
    const sql = `SELECT z."Borough", count(*) AS trips FROM yellow_tripdata_2024_01 y
      JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID" GROUP BY 1 ORDER BY 1`;
    await runSql(page, sql);
    const expected = oracle('query', sql, `yellow_tripdata_2024_01=${path.join(taxi, 'yellow', 'yellow_tripdata_2024-01.parquet')}`,
      `taxi_zone_lookup=${zones}`);
    assert.equal(await resultRowCount(page), expected.length);
    assertRowsEqual(assert, (await readResult(page)).rows, expected, 'offline job');
  } finally {
    await browser.close();
  }
});
