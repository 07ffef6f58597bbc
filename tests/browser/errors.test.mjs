// Bad input gets a clear message, and the page keeps working with the user's query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, tempDir, screenshot, tableNames,
  PARQUET_TESTING,
} from './harness.mjs';

let page, dir;

withPage(async (opened) => {
  page = opened;
  dir = tempDir('bad');
});

async function expectGoodQueryStillWorks() {
  await runSql(page, 'SELECT 6 * 7 AS answer');
  assert.deepEqual((await readResult(page)).rows, [['42']]);
}

test('a text file named .parquet is refused with a reason', async () => {
  const file = path.join(dir, 'notes.parquet');
  writeFileSync(file, 'these are my notes, not a parquet file\n'.repeat(10));
  await addFiles(page, [file]);
  const rejected = page.getByTestId('rejected-files');
  await rejected.waitFor();
  assert.match(await rejected.textContent(), /notes\.parquet/);
  assert.match(await rejected.textContent(), /not a Parquet file/i);
  await expectGoodQueryStillWorks();
});

test('a truncated Parquet file is refused as truncated', async () => {
  const good = readFileSync(path.join(PARQUET_TESTING, 'data/alltypes_plain.parquet'));
  const file = path.join(dir, 'cut.parquet');
  writeFileSync(file, good.subarray(0, good.length >> 1));
  await addFiles(page, [file]);
  await page.getByTestId('rejected-files').filter({ hasText: 'cut.parquet' }).waitFor();
  assert.match(await page.getByTestId('rejected-files').textContent(), /truncated/i);
  assert.equal((await tableNames(page)).includes('cut'), false);
  await expectGoodQueryStillWorks();
});

test('an encrypted file is called encrypted, not corrupt', async () => {
  await addFiles(page, [path.join(PARQUET_TESTING, 'data/uniform_encryption.parquet.encrypted')]);
  await page.getByTestId('rejected-files').filter({ hasText: 'uniform_encryption' }).waitFor();
  assert.match(await page.getByTestId('rejected-files').textContent(), /encrypted/i);
});

test('a wrong SQL statement shows the message and the position', async () => {
  const sql = 'SELECT 1,\n  2 FROMM x';
  await runSql(page, sql);
  const panel = page.getByTestId('error-panel');
  await panel.waitFor();
  assert.match(await page.getByTestId('error-message').textContent(), /FROMM|Expected/);
  assert.match(await page.getByTestId('error-location').textContent(), /FROMM/);
  await screenshot(page, 'sql-error');
  assert.equal(await page.getByTestId('sql-editor').inputValue(), sql, 'the query is kept');
  await expectGoodQueryStillWorks();
});

test('an unknown table is named in the error', async () => {
  await runSql(page, 'SELECT * FROM no_such_table');
  assert.match(await page.getByTestId('error-message').textContent(), /no_such_table/);
  await expectGoodQueryStillWorks();
  assert.deepEqual(page.errors, []);
});
