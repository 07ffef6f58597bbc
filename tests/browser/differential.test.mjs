// A sample of the differential tests' random queries (tests/oracle/querygen.py: joins of
// every type, EXISTS / IN with NULLs, scalar subqueries, windows, set operations,
// limits) typed in the page and run as jobs on 2 workers, over tables with NULLs, skewed
// keys, an empty file each and an empty table. The native tests run hundreds of them;
// this checks that the page's jobs (web workers, the page's scheduler) answer as DuckDB
// does too, or refuse as loudly as the native engine does, never answer differently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  withPage, runSql, readResult, readAllRows, unmatchedRows, oracle, setSetting, tempDir,
} from './harness.mjs';

const SEED = 7;
const COUNT = 40;
// Reading a result means scrolling the page's table; big answers add time, not cover.
const MAX_ROWS = 400;
// Kiln's two loud refusals (see tests/oracle/differential.py).
const REFUSALS = ['cannot run as a job yet', 'answered wrongly by DataFusion'];

let page;
const generated = oracle('gen-queries', tempDir('gen'), String(SEED), String(COUNT));
const cases = generated.cases.filter((c) => c.error || c.rows.length <= MAX_ROWS);

withPage(async (opened) => {
  page = opened;
  for (const [name, folder] of Object.entries(generated.tables)) {
    await page.getByTestId('folder-input').setInputFiles(folder);
    await page.locator(`[data-testid=table-item][data-table="${name}"]`).waitFor({ timeout: 60_000 });
  }
  await setSetting(page, 'workers', 2);
});

test('the sample is mostly answers', () => {
  assert.ok(cases.length >= COUNT * 0.8, `${cases.length} of ${COUNT} kept`);
});

for (const [i, c] of cases.entries()) {
  test(`generated query ${i}: ${c.query}`, async () => {
    await runSql(page, c.query);
    assert.equal(await page.getByTestId('sql-editor').inputValue(), c.query, 'the editor kept the query');
    const errors = await page.getByTestId('error-panel').allTextContents();
    if (c.error) {
      assert.equal(errors.length, 1, `DuckDB failed (${c.error}), so must Kiln`);
      return;
    }
    if (errors.length) {
      assert.ok(REFUSALS.some((r) => errors[0].includes(r)), `DuckDB answered, Kiln failed: ${errors[0]}`);
      return;
    }
    const { columns, types } = await readResult(page);
    const { total, rows } = await readAllRows(page);
    assert.equal(total, c.rows.length, `row count (columns ${columns})`);
    const { missing, extra } = unmatchedRows(types, rows, c.rows);
    assert.ok(missing.length === 0 && extra.length === 0,
      `${missing.length} of DuckDB's rows not shown, e.g. ${JSON.stringify(missing.slice(0, 3))}; `
      + `${extra.length} shown rows not DuckDB's, e.g. ${JSON.stringify(extra.slice(0, 3))} (${columns}: ${types})`);
    assert.deepEqual(page.errors, [], 'page errors');
  });
}
