// Query tabs and the history of runs, as a person uses them: two queries side by side,
// each keeping its own result, a failed run, a search of the history; then a reload,
// after which the tabs, their texts, their results' first rows and the history are as
// they were. Every result is DuckDB's answer on the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, openPage, addFiles, runSql, readResult, assertRowsEqual, oracle, generateTaxi, screenshot,
} from './harness.mjs';

const session = withPage(async () => {});

const COUNT = 'SELECT count(*) AS trips FROM yellow_tripdata_2024_01';
const BY_PAYMENT = 'SELECT payment_type, count(*) AS n FROM yellow_tripdata_2024_01 GROUP BY payment_type ORDER BY payment_type';

async function tabTitles(page) {
  return page.getByTestId('editor-tab').evaluateAll((tabs) => tabs.map((t) => t.dataset.title));
}

async function openTab(page, title) {
  await page.locator(`[data-testid=editor-tab][data-title="${title}"] [data-testid=editor-tab-name]`).click();
}

async function historyEntries(page) {
  return page.getByTestId('history-entry').evaluateAll((items) => items.map((e) => ({
    status: e.dataset.status,
    rows: e.dataset.rows === undefined ? null : Number(e.dataset.rows),
    text: e.querySelector('[data-testid=history-text]').textContent,
  })));
}

test('tabs keep their own queries and results, the history keeps every run, and both survive a reload', async () => {
  const taxi = generateTaxi(20_000, 3, 1);
  const file = path.join(taxi, 'yellow/yellow_tripdata_2024-01.parquet');
  const table = `yellow_tripdata_2024_01=${file}`;
  const count = oracle('query', COUNT, table);
  const byPayment = oracle('query', BY_PAYMENT, table);
  const page = await openPage(session.browser, session.server.url);
  await addFiles(page, [file]);

  await runSql(page, COUNT);
  await page.getByRole('button', { name: 'New query tab' }).click();
  assert.deepEqual(await tabTitles(page), ['Query 1', 'Query 2']);
  assert.equal(await page.getByRole('textbox', { name: 'SQL query' }).inputValue(), '', 'a new tab starts empty');
  await runSql(page, BY_PAYMENT);
  assertRowsEqual(assert, (await readResult(page)).rows, byPayment, 'tab 2');
  await page.getByRole('button', { name: 'New query tab' }).click();
  await runSql(page, 'SELECT no_such_column FROM yellow_tripdata_2024_01');
  await page.getByTestId('error-panel').waitFor();
  await page.getByRole('button', { name: 'Close Query 3' }).click();
  assert.deepEqual(await tabTitles(page), ['Query 1', 'Query 2']);

  // Each tab shows its own result.
  await openTab(page, 'Query 1');
  assert.equal(await page.getByRole('textbox', { name: 'SQL query' }).inputValue(), COUNT);
  assertRowsEqual(assert, (await readResult(page)).rows, count, 'tab 1');
  await openTab(page, 'Query 2');
  assertRowsEqual(assert, (await readResult(page)).rows, byPayment, 'tab 2 again');

  // The history: newest first, with how each run went, searchable.
  await page.getByTestId('history-toggle').click();
  let entries = await historyEntries(page);
  assert.deepEqual(entries.map((e) => e.status), ['failed', 'succeeded', 'succeeded']);
  assert.deepEqual(entries.map((e) => e.text), ['SELECT no_such_column FROM yellow_tripdata_2024_01', BY_PAYMENT, COUNT]);
  assert.equal(entries[1].rows, byPayment.length);
  assert.equal(entries[2].rows, 1);
  await page.getByLabel('Search the history').fill('payment GROUP');
  assert.deepEqual((await historyEntries(page)).map((e) => e.text), [BY_PAYMENT]);
  await page.getByLabel('Search the history').fill('failed');
  assert.equal((await historyEntries(page)).length, 1);
  await screenshot(page, 'history-and-tabs');

  // A reload: a new engine, and everything above as it was.
  await page.reload();
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  assert.deepEqual(await tabTitles(page), ['Query 1', 'Query 2']);
  assert.equal(await page.getByRole('textbox', { name: 'SQL query' }).inputValue(), BY_PAYMENT, 'the open tab stays open');
  assertRowsEqual(assert, (await readResult(page)).rows, byPayment, 'tab 2 after the reload');
  await page.getByText('result no longer held by the engine').waitFor();
  await openTab(page, 'Query 1');
  assertRowsEqual(assert, (await readResult(page)).rows, count, 'tab 1 after the reload');
  await page.getByTestId('history-toggle').click();
  entries = await historyEntries(page);
  assert.deepEqual(entries.map((e) => e.status), ['failed', 'succeeded', 'succeeded']);

  // And the tab runs again on the new engine.
  await addFiles(page, [file]);
  await runSql(page, COUNT);
  assertRowsEqual(assert, (await readResult(page)).rows, count, 'tab 1 run again');
  assert.equal((await historyEntries(page)).length, 4);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
