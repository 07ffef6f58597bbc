// An automated accessibility check (axe-core, from npm) of the page's main views: the
// empty page, a file opened, a result with its job's views, the other editors, and the
// workshop. No violation of serious or critical impact is allowed; every finding, with
// its impact, goes to tests/artifacts/a11y.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  withPage, generateTaxi, runSql, showJobView, ARTIFACTS,
} from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING = new Set(['serious', 'critical']);
const report = {};
let page, taxi;

withPage(async (opened) => {
  page = opened;
  taxi = generateTaxi(20_000);
});

/** Runs axe on the page as it is now. Evaluated over the DevTools protocol rather than as
 *  a script tag, so the page's Content-Security-Policy stays as strict as users get it. */
async function audit(view) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), why: n.failureSummary })),
      count: v.nodes.length,
    }));
  });
  report[view] = found;
  const blocking = found.filter((v) => BLOCKING.has(v.impact));
  assert.deepEqual(blocking, [], `${view}: serious or critical accessibility violations`);
}

test('the empty page', async () => {
  await audit('empty page');
});

test('a file opened, in the explorer', async () => {
  await page.getByLabel('Open files…').setInputFiles(path.join(taxi, 'yellow/yellow_tripdata_2024-01.parquet'));
  await page.getByRole('button', { name: 'Show the first 100 rows' }).waitFor();
  await audit('explorer');
});

test('a result with its job\'s stages, plans and timeline', async () => {
  await runSql(page, 'SELECT payment_type, count(*) AS n FROM yellow_tripdata_2024_01 GROUP BY payment_type ORDER BY n DESC');
  await page.locator('[data-testid=profile-row][data-state=ready]').waitFor();
  await audit('result with profiles, and stages');
  await page.getByRole('button', { name: /^Stage 0 · / }).click();
  await audit('stage page');
  await showJobView(page, 'plans');
  await audit('plans');
  await showJobView(page, 'timeline');
  await audit('timeline');
  await page.getByRole('tab', { name: 'Chart' }).click();
  await audit('chart');
});

test('the job settings unfolded, the PySpark editor and the pipeline builder', async () => {
  await page.getByText('Job settings', { exact: true }).click();
  await audit('job settings');
  await page.getByRole('button', { name: 'New query tab' }).click();
  await page.getByRole('button', { name: /^History/ }).click();
  await audit('query tabs and history');
  await page.getByRole('button', { name: 'Close the history' }).click();
  await page.getByRole('tab', { name: 'PySpark' }).click();
  await audit('pyspark editor');
  await page.getByRole('tab', { name: 'Pipeline' }).click();
  await audit('pipeline builder');
  await page.getByRole('tab', { name: 'SQL' }).click();
});

test('the workshop and the sample lake', async () => {
  await page.getByRole('button', { name: 'Workshop' }).click();
  await audit('workshop lesson');
  await page.getByRole('button', { name: 'Sample lake' }).click();
  await audit('sample lake popover');
});

test('? shows the keyboard shortcuts, except while typing; Esc closes them', async () => {
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await page.getByRole('button', { name: 'Sample lake' }).click();
  await page.locator('body').click({ position: { x: 5, y: 790 } });
  await page.keyboard.press('?');
  await dialog.waitFor();
  assert.ok(await dialog.getByText('Run the query or program in the editor').isVisible());
  await audit('keyboard shortcuts');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  const editor = page.getByRole('textbox', { name: 'SQL query' });
  await editor.click();
  await page.keyboard.press('End');
  await page.keyboard.type(' -- ?');
  assert.equal(await dialog.count(), 0, 'a ? typed into the editor is text');
  assert.match(await editor.inputValue(), /-- \?$/m);
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
});

test('the findings are recorded', () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'a11y.json'), `${JSON.stringify(report, null, 2)}\n`);
  assert.ok(Object.keys(report).length >= 12, 'every view was audited');
});
