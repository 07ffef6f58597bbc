// The page at the sizes people use it: a 1280x720 laptop and a 4K screen. Nothing spills
// sideways, the main actions are on screen, and the panels resize by dragging their
// handles (or by the arrow keys), their sizes kept across a reload. Screenshots of the
// empty page, a file opened, a result with its profiles and a job's views at 1280x720
// go to tests/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, openPage, addFiles, runSql, generateTaxi, screenshot, showJobView,
} from './harness.mjs';

const session = withPage(async () => {});
let file;

/** What spills past the viewport's width, and whether each named control is on screen. */
async function fit(page, controls) {
  const { width } = page.viewportSize();
  const spill = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  const off = [];
  for (const name of controls) {
    const box = await page.getByRole('button', { name, exact: true }).first().boundingBox();
    if (!box || box.x < 0 || box.x + box.width > width) off.push(name);
  }
  return { spill, off };
}

const CONTROLS = ['Open files…', 'Open folder…', 'Workshop', 'Sample lake', 'Run', 'Keyboard shortcuts'];

test('at 1280x720 the page fits its width and shows every main action', async () => {
  file = path.join(generateTaxi(20_000, 9, 1), 'yellow/yellow_tripdata_2024-01.parquet');
  const page = await openPage(session.browser, session.server.url);
  await page.setViewportSize({ width: 1280, height: 720 });
  assert.deepEqual(await fit(page, CONTROLS), { spill: 0, off: [] }, 'the empty page');
  await screenshot(page, 'layout-1280x720-empty');
  await addFiles(page, [file]);
  await page.getByRole('button', { name: 'Show the first 100 rows' }).waitFor();
  await screenshot(page, 'layout-1280x720-file-opened');
  await runSql(page, 'SELECT * FROM yellow_tripdata_2024_01');
  await page.locator('[data-testid=profile-row][data-state=ready]').waitFor();
  assert.deepEqual(await fit(page, CONTROLS), { spill: 0, off: [] }, 'with a wide result');
  await page.getByTestId('result-scroll').scrollIntoViewIfNeeded();
  await screenshot(page, 'layout-1280x720-result-profiles');
  await page.getByTestId('job-panel').scrollIntoViewIfNeeded();
  await screenshot(page, 'layout-1280x720-job-views');
  await showJobView(page, 'timeline');
  await page.getByTestId('job-panel').scrollIntoViewIfNeeded();
  await screenshot(page, 'layout-1280x720-timeline');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('on a 4K screen the page fills it without spilling', async () => {
  const page = await openPage(session.browser, session.server.url);
  await page.setViewportSize({ width: 3840, height: 2160 });
  await addFiles(page, [file]);
  await runSql(page, 'SELECT * FROM yellow_tripdata_2024_01');
  assert.deepEqual(await fit(page, CONTROLS), { spill: 0, off: [] });
  // The work area takes the width a large screen gives it.
  const main = await page.locator('main.main').boundingBox();
  assert.ok(main.width > 3000, `the main area is ${main.width}px wide`);
  await screenshot(page, 'layout-3840x2160-result');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('panels resize by drag and by keyboard, and keep their size across a reload', async () => {
  const page = await openPage(session.browser, session.server.url);
  await addFiles(page, [file]);
  await runSql(page, 'SELECT * FROM yellow_tripdata_2024_01');
  const sidebar = () => page.locator('aside.sidebar').boundingBox().then((b) => b.width);
  const before = await sidebar();
  const handle = page.getByRole('separator', { name: 'Width of the tables panel' });
  const box = await handle.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 200);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 100, box.y + 200, { steps: 5 });
  await page.mouse.up();
  assert.ok(Math.abs(await sidebar() - (before + 100)) <= 2, `dragged 100px: ${before} → ${await sidebar()}`);
  await handle.focus();
  await page.keyboard.press('ArrowLeft');
  assert.ok(Math.abs(await sidebar() - (before + 76)) <= 2, 'the arrow key moves it 24px');

  // The result's viewport: taller shows more rows at once.
  const rowsShown = () => page.locator('[data-testid=result-table] tbody tr').count();
  const shownBefore = await rowsShown();
  const grip = page.getByRole('separator', { name: 'Height of the result table' });
  await grip.scrollIntoViewIfNeeded();
  const g = await grip.boundingBox();
  await page.mouse.move(g.x + 40, g.y + g.height / 2);
  await page.mouse.down();
  await page.mouse.move(g.x + 40, g.y + g.height / 2 + 260, { steps: 5 });
  await page.mouse.up();
  assert.equal(await rowsShown(), shownBefore + 10, '260px more is 10 rows more');

  const width = await sidebar();
  await page.reload();
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  assert.ok(Math.abs(await sidebar() - width) <= 1, 'the width is kept');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
