// The "sample data" button runs the same generator as `kiln gen` inside the worker: the
// page's tables must hold exactly what DuckDB reads from the CLI's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, runSql, readResult, oracle, generateTaxi, assertRowsEqual, tableNames,
} from './harness.mjs';

const ROWS = 50_000;
let page, taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(ROWS);
});

test('sample data gives the generator\'s tables, equal to the CLI\'s files', async () => {
  await page.getByTestId('sample-rows').fill(String(ROWS));
  await page.getByTestId('sample-button').click();
  await page.locator('[data-testid=table-item][data-table="zones"]').waitFor({ timeout: 120_000 });
  assert.deepEqual((await tableNames(page)).sort(), ['green_tripdata', 'yellow_tripdata', 'zones']);
  const sql = (y, g) => `SELECT 'yellow' AS service, count(*) AS n, sum(total_amount) AS total FROM ${y}
    UNION ALL SELECT 'green', count(*), sum(total_amount) FROM ${g} ORDER BY service`;
  await runSql(page, sql('yellow_tripdata', 'green_tripdata'));
  const expected = oracle('query', sql('y', 'g'), `y=${path.join(taxiDir, 'yellow')}`, `g=${path.join(taxiDir, 'green')}`);
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'sample totals');
  assert.equal(expected[0][1] + expected[1][1], ROWS);
});
