// Results people take home: the virtual table (jump to any row, NULLs, long values,
// values as text only), downloads in every format read back by pyarrow and compared
// with DuckDB, and a job's written output (partitionBy, coalesce, repartition) as a zip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import {
  withPage, runSql, oracle, generateTaxi, tempDir, setSetting, readResult, resultRowCount,
  screenshot, sameValue, assertRowsEqual, tableNames,
} from './harness.mjs';

let page;
let taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(300_000);
  await page.getByTestId('folder-input').setInputFiles(path.join(taxiDir, 'yellow'));
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'workers', 2);
  await setSetting(page, 'split-mb', 1);
});

const yellow = () => `yellow=${path.join(taxiDir, 'yellow')}`;

/** Clicks a button that starts a download and saves the file; returns its path and name. */
async function download(testid) {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId(testid).click(),
  ]);
  const target = path.join(tempDir('download'), file.suggestedFilename());
  await file.saveAs(target);
  await page.locator('[data-testid=export-status][data-done=true]').waitFor();
  return { target, name: file.suggestedFilename() };
}

/** The shown rows, each with its row number. */
async function shownRows() {
  return page.getByTestId('result-table').evaluate((table) => [...table.querySelectorAll('tbody tr')].map((tr) => ({
    row: Number(tr.dataset.row),
    cells: [...tr.querySelectorAll('td')].map((td) => (td.classList.contains('null') ? null : td.textContent)),
  })));
}

/** Waits until every shown row has its values (blocks are fetched as they scroll in). */
async function loaded() {
  await page.waitForFunction(() => {
    const table = document.querySelector('[data-testid=result-table]');
    return table && !table.querySelector('td.loading');
  });
}

const QUERY = `SELECT "VendorID", payment_type, "PULocationID", total_amount, tpep_pickup_datetime,
  store_and_fwd_flag FROM yellow WHERE trip_distance > 3`;

test('each format downloads through the page and reads back equal to DuckDB\'s answer', async () => {
  await runSql(page, QUERY);
  for (const fmt of ['parquet', 'csv', 'jsonl', 'arrow']) {
    const { target, name } = await download(`save-${fmt}`);
    assert.match(name, new RegExp(`^kiln-result-\\d+\\.${fmt}$`));
    const check = oracle('check-export', fmt, target, QUERY, yellow());
    assert.ok(check.equal, `${fmt}: missing ${JSON.stringify(check.missing)}, extra ${JSON.stringify(check.extra)}`);
    assert.deepEqual(check.columns, ['VendorID', 'payment_type', 'PULocationID', 'total_amount',
      'tpep_pickup_datetime', 'store_and_fwd_flag']);
    assert.equal(check.rows, await resultRowCount(page));
  }
  // Kiln opens each of them again: the same rows, every format.
  const saved = [];
  for (const fmt of ['parquet', 'csv', 'jsonl', 'arrow']) saved.push((await download(`save-${fmt}`)).target);
  const [expectedBack] = [oracle('query', `SELECT count(*), round(sum(total_amount), 2) FROM (${QUERY})`, yellow())];
  for (const file of saved) {
    const before = new Set(await tableNames(page));
    await page.getByTestId('file-input').setInputFiles([file]);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=table-item]').length > n, before.size);
    const table = (await tableNames(page)).find((t) => !before.has(t));
    await runSql(page, `SELECT count(*), round(sum(total_amount), 2) FROM ${table}`);
    assertRowsEqual(assert, (await readResult(page)).rows, expectedBack, path.basename(file));
  }
  const parquet = oracle('describe', saved[0]);
  assert.ok(Object.values(parquet.columns).every((c) => c.compression === 'ZSTD'));
  await screenshot(page, 'results-saved');
});

test('a written output has a folder per partition value, a file per task or as coalesced, and _SUCCESS', async () => {
  const sql = 'SELECT payment_type, "VendorID", total_amount FROM yellow';
  await runSql(page, sql);
  await page.getByTestId('toggle-write').click();
  await page.locator('[data-testid=partition-by][value=payment_type]').check();
  const write = async () => {
    const { target } = await download('write-output');
    const dir = tempDir('output');
    const entries = oracle('unzip', target, dir);
    const root = entries[0].name.split('/')[0];
    return { dir: path.join(dir, root), entries: entries.map((e) => e.name.slice(root.length + 1)) };
  };
  const expected = oracle('query', 'SELECT payment_type, count(*) FROM yellow GROUP BY 1 ORDER BY 1', yellow());

  // One file per task of the last stage (a scan of many splits) and partition value.
  let out = await write();
  assert.ok(out.entries.includes('_SUCCESS'));
  const listed = await page.getByTestId('output-file').evaluateAll((trs) => trs.map((tr) => ({
    path: tr.dataset.path, rows: Number(tr.dataset.rows),
  })));
  assert.deepEqual(listed.map((f) => f.path).sort(), out.entries.filter((e) => e !== '_SUCCESS').sort());
  const back = oracle('query', 'SELECT payment_type, count(*) FROM out GROUP BY 1 ORDER BY 1', `out=${out.dir}`);
  assert.deepEqual(back, expected, 'rows per partition value, read back by DuckDB');
  assert.equal(listed.reduce((n, f) => n + f.rows, 0), expected.reduce((n, [, c]) => n + c, 0));
  const tasks = new Set(listed.map((f) => f.path.split('/')[1]));
  assert.ok(tasks.size > 1, 'several tasks wrote files');
  assert.ok(listed.every((f) => /^payment_type=\d+\/part-\d{5}\.parquet$/.test(f.path)), JSON.stringify(listed));
  await screenshot(page, 'results-written-output');

  // coalesce(1): one file per partition value.
  await page.getByTestId('layout-coalesce').check();
  await page.getByTestId('layout-n').fill('1');
  await page.getByTestId('layout-n').dispatchEvent('change');
  out = await write();
  const files = out.entries.filter((e) => e !== '_SUCCESS');
  assert.equal(files.length, expected.length);
  assert.deepEqual(oracle('query', 'SELECT payment_type, count(*) FROM out GROUP BY 1 ORDER BY 1', `out=${out.dir}`), expected);

  // repartition(3) without partition columns: three files of even size.
  await page.locator('[data-testid=partition-by][value=payment_type]').uncheck();
  await page.getByTestId('layout-repartition').check();
  await page.getByTestId('layout-n').fill('3');
  await page.getByTestId('layout-n').dispatchEvent('change');
  out = await write();
  const rows = await page.getByTestId('output-file').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.rows)));
  assert.equal(rows.length, 3);
  assert.ok(Math.max(...rows) - Math.min(...rows) <= 1, `${rows}`);
});

test('the table jumps to any row of an ordered result and shows the same rows as DuckDB', async () => {
  const sql = `SELECT total_amount, tpep_pickup_datetime, "PULocationID", "DOLocationID", trip_distance
    FROM yellow ORDER BY total_amount, tpep_pickup_datetime, "PULocationID", "DOLocationID", trip_distance`;
  await runSql(page, sql);
  const expected = oracle('query', sql, yellow());
  assert.equal(await resultRowCount(page), expected.length);
  for (const target of [150_000, 2, expected.length]) {
    await page.getByTestId('jump-row').fill(String(target));
    await page.getByTestId('jump-go').click();
    await loaded();
    const rows = await shownRows();
    const hit = rows.find((r) => r.row === target);
    assert.ok(hit, `row ${target} is in view: ${rows.map((r) => r.row)}`);
    for (const r of rows) {
      expected[r.row - 1].forEach((v, i) => assert.ok(sameValue(r.cells[i], v),
        `row ${r.row} col ${i}: ${r.cells[i]} vs ${v}`));
    }
  }
  // Scrolling with the scrollbar to the very end shows the last row.
  await page.getByTestId('result-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await loaded();
  const last = (await shownRows()).at(-1);
  assert.equal(last.row, expected.length);
  await screenshot(page, 'results-table-last-rows');
});

test('values are text, NULL is shown apart, and a long value opens in full', async () => {
  const long = 'abc'.repeat(400);
  await runSql(page, `SELECT '<script>window.kilnPwned = 1</script><b>bold</b>' AS html, NULL AS nothing,
    '' AS empty, repeat('abc', 400) AS long`);
  const { rows } = await readResult(page);
  assert.deepEqual(rows[0], ['<script>window.kilnPwned = 1</script><b>bold</b>', null, '', long]);
  assert.equal(await page.locator('[data-testid=result-table] tbody b, [data-testid=result-table] tbody script').count(), 0);
  assert.equal(await page.evaluate(() => window.kilnPwned), undefined);
  await page.locator('[data-testid=result-table] tbody td').nth(3).click();
  assert.equal(await page.getByTestId('cell-value').textContent(), long);
  // Columns resize by dragging their header's edge.
  const handle = page.getByTestId('col-resize').first();
  await handle.scrollIntoViewIfNeeded();
  const before = await page.locator('[data-testid=result-table] th').nth(1).evaluate((th) => th.offsetWidth);
  const box = await handle.boundingBox();
  await page.mouse.move(box.x + 3, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + 123, box.y + 10, { steps: 5 });
  await page.mouse.up();
  const after = await page.locator('[data-testid=result-table] th').nth(1).evaluate((th) => th.offsetWidth);
  assert.ok(after >= before + 100, `${before} -> ${after}`);
  await screenshot(page, 'results-cell-detail');
});

async function chart() {
  await page.getByTestId('tab-chart').click();
  await page.getByTestId('chart-svg').waitFor();
  await page.getByTestId('chart').scrollIntoViewIfNeeded();
  return page.getByTestId('chart-svg');
}

test('a group-by charts as bars whose heights are the oracle\'s sums', async () => {
  const sql = 'SELECT payment_type, sum(total_amount) AS total FROM yellow GROUP BY payment_type';
  await runSql(page, sql);
  const svg = await chart();
  assert.equal(await svg.getAttribute('data-kind'), 'bar', 'a small integer key and a sum default to bars');
  const bars = await svg.getByTestId('chart-bar').evaluateAll((rs) => rs.map((r) => [r.dataset.x, Number(r.dataset.value)]));
  const expected = oracle('query', sql, yellow());
  assert.equal(bars.length, expected.length);
  for (const [key, total] of expected) {
    const bar = bars.find(([x]) => x === String(key));
    assert.ok(bar, `a bar for ${key}`);
    assert.ok(Math.abs(bar[1] - total) < 1e-6 * Math.abs(total) + 1e-6, `${key}: ${bar[1]} vs ${total}`);
  }
  await screenshot(page, 'chart-bar');
  // Saved as SVG and PNG.
  const [svgFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-save-svg').click()]);
  const svgText = readFileSync(await svgFile.path(), 'utf8');
  assert.match(svgText, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svgText.match(/data-testid="chart-bar"/g) ?? []).length, expected.length);
  const [pngFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chart-save-png').click()]);
  const png = readFileSync(await pngFile.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.readUInt32BE(16), 1760, 'twice the chart\'s width');
});

test('a month and a sum chart as a line; a histogram counts every row', async () => {
  const sql = `SELECT date_trunc('day', tpep_pickup_datetime) AS day, count(*) AS trips
    FROM yellow GROUP BY 1 ORDER BY 1`;
  await runSql(page, sql);
  let svg = await chart();
  assert.equal(await svg.getAttribute('data-kind'), 'line');
  const expected = oracle('query', sql, yellow());
  assert.equal(Number(await svg.getByTestId('chart-line').getAttribute('data-points')), expected.length);
  await screenshot(page, 'chart-line');

  await runSql(page, 'SELECT total_amount FROM yellow');
  svg = await chart();
  assert.equal(await svg.getAttribute('data-kind'), 'histogram');
  const counts = await svg.getByTestId('chart-bin').evaluateAll((rs) => rs.map((r) => Number(r.dataset.count)));
  const [[rows]] = oracle('query', 'SELECT count(total_amount) FROM yellow', yellow());
  assert.equal(counts.reduce((a, b) => a + b, 0), rows);
  // Picking another kind and columns redraws: a scatter of distance against amount.
  await runSql(page, 'SELECT trip_distance, total_amount, payment_type FROM yellow LIMIT 2000');
  svg = await chart();
  await page.getByTestId('chart-kind').selectOption('Scatter');
  await page.getByTestId('chart-series').selectOption('payment_type');
  await page.locator('[data-testid=chart-svg][data-kind=scatter]').waitFor();
  assert.equal(await page.getByTestId('chart-point').count(), 2000);
  await page.getByTestId('chart').scrollIntoViewIfNeeded();
  await screenshot(page, 'chart-scatter');
});

test('a save streams into a picked file, and a job output into a picked folder', async () => {
  // The pickers are the one part a test cannot drive: they answer here with handles of
  // the origin's private file system, which the File System Access API writes like any.
  await page.evaluate(() => {
    window.showSaveFilePicker = async ({ suggestedName }) =>
      (await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true });
    window.showDirectoryPicker = async () =>
      (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
  });
  await runSql(page, QUERY);
  await page.getByTestId('pick-file').check();
  await page.getByTestId('save-csv').click();
  await page.locator('[data-testid=export-status][data-done=true]').waitFor();
  const name = await page.locator('[data-testid=export-status] code').textContent();
  const csv = await page.evaluate(async (n) => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(n)).getFile();
    return file.text();
  }, name);
  const local = path.join(tempDir('picked'), name);
  writeFileSync(local, csv);
  const check = oracle('check-export', 'csv', local, QUERY, yellow());
  assert.ok(check.equal, `missing ${JSON.stringify(check.missing)}, extra ${JSON.stringify(check.extra)}`);
  await page.getByTestId('pick-file').uncheck();

  const sql = 'SELECT payment_type, "VendorID", total_amount FROM yellow';
  await runSql(page, sql);
  await page.getByTestId('toggle-write').click();
  await page.locator('[data-testid=partition-by][value=payment_type]').check();
  await page.getByTestId('write-folder').click();
  await page.locator('[data-testid=export-status][data-done=true]').waitFor();
  // Everything written into the picked folder, copied out to compare.
  const files = await page.evaluate(async () => {
    const out = [];
    const walk = async (dir, prefix) => {
      for await (const [entry, handle] of dir.entries()) {
        if (handle.kind === 'directory') await walk(handle, `${prefix}${entry}/`);
        else out.push([`${prefix}${entry}`, [...new Uint8Array(await (await handle.getFile()).arrayBuffer())]]);
      }
    };
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('picked'), '');
    return out;
  });
  const dir = tempDir('picked-folder');
  for (const [rel, bytes] of files) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), Buffer.from(bytes));
  }
  assert.ok(files.some(([rel]) => rel === '_SUCCESS'));
  const listed = await page.getByTestId('output-file').evaluateAll((trs) => trs.map((tr) => tr.dataset.path));
  assert.deepEqual(files.map(([rel]) => rel).filter((r) => r !== '_SUCCESS').sort(), listed.sort());
  assert.deepEqual(
    oracle('query', 'SELECT payment_type, count(*) FROM out GROUP BY 1 ORDER BY 1', `out=${dir}`),
    oracle('query', 'SELECT payment_type, count(*) FROM yellow GROUP BY 1 ORDER BY 1', yellow()),
  );
});
