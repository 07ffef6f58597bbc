// What a person does with tables: rename one and query it by its new name, drop files on
// the page, save a CSV table as Parquet. Answers come from DuckDB / pyarrow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, oracle, generateTaxi,
  assertRowsEqual, tableNames, tempDir, PARQUET_TESTING,
} from './harness.mjs';

let page, taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(20_000);
});

test('a renamed table answers to its new name only', async () => {
  await addFiles(page, [path.join(PARQUET_TESTING, 'data/alltypes_plain.parquet')]);
  const item = page.locator('[data-testid=table-item][data-table="alltypes_plain"]');
  await item.waitFor();
  await item.getByTestId('rename-table').click();
  const input = page.getByTestId('rename-input');
  await input.fill('all_types');
  await input.press('Enter');
  await page.locator('[data-testid=table-item][data-table="all_types"]').waitFor();
  const expected = oracle('query', 'SELECT count(*), sum(id) FROM t', `t=${path.join(PARQUET_TESTING, 'data/alltypes_plain.parquet')}`);
  await runSql(page, 'SELECT count(*), sum(id) FROM all_types');
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'renamed table');
  await runSql(page, 'SELECT count(*) FROM alltypes_plain');
  assert.match(await page.getByTestId('error-message').textContent(), /alltypes_plain/);
});

test('files dropped on the page become tables', async () => {
  const file = path.join(taxiDir, 'green/green_tripdata_2024-03.parquet');
  const bytes = [...readFileSync(file)];
  const dataTransfer = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'green_tripdata_2024-03.parquet'));
    return dt;
  }, bytes);
  await page.getByTestId('drop-zone').dispatchEvent('dragenter', { dataTransfer });
  await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
  await page.locator('[data-testid=table-item][data-table="green_tripdata_2024_03"]').waitFor();
  const sql = (t) => `SELECT count(*), count(passenger_count), max(total_amount) FROM ${t}`;
  await runSql(page, sql('green_tripdata_2024_03'));
  assertRowsEqual(assert, (await readResult(page)).rows, oracle('query', sql('g'), `g=${file}`), 'dropped file');
});

test('a CSV table saved as Parquet holds the same rows', async () => {
  const csv = path.join(taxiDir, 'taxi_zone_lookup.csv');
  await addFiles(page, [csv]);
  const item = page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]');
  await item.waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    item.getByTestId('export-parquet').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'taxi_zone_lookup.parquet');
  const saved = path.join(tempDir('download'), download.suggestedFilename());
  await download.saveAs(saved);
  const sql = (t) => `SELECT "LocationID", "Borough", "Zone", service_zone FROM ${t} ORDER BY "LocationID"`;
  assert.deepEqual(oracle('query', sql('p'), `p=${saved}`), oracle('query', sql('c'), `c=${csv}`));
  assert.ok((await tableNames(page)).includes('taxi_zone_lookup'));
});
