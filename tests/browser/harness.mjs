// Shared pieces of the browser tests: the static server, Debian's Chromium through
// playwright-core, the independent oracle (DuckDB / pyarrow in the test venv), and
// helpers that act on the page the way a person does.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const DIST = process.env.KILN_DIST ?? path.join(ROOT, 'dist');
export const PYTHON = process.env.KILN_PYTHON ?? path.join(ROOT, '.venv/bin/python');
export const KILN = process.env.KILN_BIN ?? path.join(ROOT, 'target/debug/kiln');
export const SHARED_DATA = process.env.KILN_SHARED_DATA ?? path.resolve(ROOT, '../shared/data');
export const PARQUET_TESTING = path.join(SHARED_DATA, 'parquet-testing');
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

export async function startServer() {
  const child = spawn('python3', [path.join(ROOT, 'scripts/static_server.py'), DIST, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`static server exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

/** Debian's Chromium, headless; `extraArgs` for tools such as bench/prof.mjs. */
export async function launch(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_FLAGS, ...extraArgs], headless: true });
}

/** For a test file: serves dist/, starts Chromium and opens the page before its tests
 *  (then runs `setup(page)`), and closes everything after them. */
export function withPage(setup) {
  const session = {};
  before(async () => {
    session.server = await startServer();
    session.browser = await launch();
    session.page = await openPage(session.browser, session.server.url);
    await setup(session.page, session.browser);
  });
  after(async () => {
    // Every page the file opened ran under the page's CSP without breaking it.
    const violations = session.page && !session.page.isClosed()
      ? await session.page.evaluate(() => window.kilnCspViolations ?? []).catch(() => [])
      : [];
    await session.browser?.close();
    session.server?.stop();
    if (violations.length) throw new Error(`Content-Security-Policy violations: ${violations.join('; ')}`);
  });
  return session;
}

/** Chromium whose one context keeps its profile in `userDataDir`. A context of
 *  `launch()` is off the record, and Chromium keeps an off-the-record origin's private
 *  file system in memory; this one stores it on disk, as a user's browser does, so
 *  measurements of what a job spills or shuffles to OPFS see the disk, not RAM. */
export async function launchPersistent(userDataDir) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true,
    viewport: { width: 1280, height: 800 }, acceptDownloads: true,
  });
}

/** Opens the page and waits until the engine worker is ready. Collects page errors.
 *  `init` runs in the page before its own scripts (as `page.addInitScript`). */
export async function openPage(browser, url, { init } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  return openPageIn(context, url, { init });
}

/** A new page of `context` at `url`, once the engine is ready. */
export async function openPageIn(context, url, { init } = {}) {
  // On the context, so a page opened later in it (after a crash) has them too.
  if (init) await context.addInitScript(init);
  // What the page's Content-Security-Policy refused, for the checks after the tests.
  await context.addInitScript(() => {
    window.kilnCspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.kilnCspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(url);
  await page.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), `kiln-${prefix}-`));
}

/** Runs tests/browser/oracle.py: DuckDB and pyarrow answer independently of Kiln. */
export function oracle(...args) {
  const out = execFileSync(PYTHON, [path.join(here, 'oracle.py'), ...args], {
    encoding: 'utf8', maxBuffer: 64 << 20,
  });
  return JSON.parse(out);
}

export function generateTaxi(rows, seed = 42, months = 3) {
  const dir = tempDir('taxi');
  execFileSync(KILN, ['gen', 'taxi', '--rows', String(rows), '--seed', String(seed),
    '--months', String(months), '--out', dir]);
  return dir;
}

export async function addFiles(page, files) {
  await page.getByTestId('file-input').setInputFiles(files);
}

export async function tableNames(page) {
  return page.getByTestId('table-item').evaluateAll((items) => items.map((i) => i.dataset.table));
}

/** Types a query into the editor like a person: select all, type. */
export async function typeSql(page, sql) {
  const editor = page.getByTestId('sql-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill(sql);
  return editor;
}

/** Types a query like a person (select all, type) and runs it with Ctrl+Enter. */
export async function runSql(page, sql, { timeout = 120_000 } = {}) {
  const editor = await typeSql(page, sql);
  // Watch for this run's busy state, so a quick run is not mistaken for the last one.
  await page.evaluate(() => {
    window.kilnSawRunning = false;
    const status = document.querySelector('[data-testid=status]');
    window.kilnRunWatch?.disconnect();
    window.kilnRunWatch = new MutationObserver(() => {
      if (status.dataset.state === 'running') window.kilnSawRunning = true;
    });
    window.kilnRunWatch.observe(status, { attributes: true, attributeFilter: ['data-state'] });
  });
  await editor.press('Control+Enter');
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=status]');
    return window.kilnSawRunning && s && s.dataset.state !== 'running';
  }, null, { timeout });
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=result-table]') || document.querySelector('[data-testid=error-panel]'),
  );
}

/** The result table as shown: header names and rows of cell texts (null for NULL cells). */
export async function readResult(page) {
  return page.getByTestId('result-table').evaluate((table) => ({
    columns: [...table.querySelectorAll('thead th .col-name')].map((c) => c.textContent.trim()),
    // Arrow's types (the hover's), which say the precision oracles compare at; the header
    // shows SQL's names (`sqlTypes`).
    types: [...table.querySelectorAll('thead th .col-type')].map((c) => c.dataset.arrowType),
    sqlTypes: [...table.querySelectorAll('thead th .col-type')].map((c) => c.textContent.trim()),
    rows: [...table.querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => (td.classList.contains('null') ? null : td.textContent))),
  }));
}

/** DuckDB's names of the columns' types of `sql` over `tables` (its DESCRIBE). */
export function duckdbTypes(sql, ...tables) {
  return oracle('query', `SELECT column_type FROM (DESCRIBE ${sql})`, ...tables).map(([t]) => t);
}

/** Unfolds the "Job settings" line, as a person does to reach a setting. */
export async function openJobSettings(page) {
  const details = page.getByTestId('job-settings');
  if (!(await details.evaluate((d) => d.open))) await page.getByTestId('job-settings-summary').click();
}

/** Sets a job setting as a person does: unfolds the settings, types it (or ticks it),
 *  then commits it. */
export async function setSetting(page, testid, value) {
  await openJobSettings(page);
  const input = page.getByTestId(testid);
  if (typeof value === 'boolean') {
    await input.setChecked(value);
  } else {
    await input.fill(String(value));
    await input.dispatchEvent('change');
  }
}

/** Clicks "Save event log" and returns the downloaded job events. */
export async function saveEventLog(page) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('save-events').click(),
  ]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

/** Opens one of a job's views (stages, plans, timeline, jobs) by its tab. */
export async function showJobView(page, view) {
  await page.locator(`[data-testid=job-view-tab][data-view=${view}]`).click();
  await page.locator(`[data-testid=job-view][data-view=${view}]`).waitFor();
}

/** A screenshot at the page's 1280x800 with the job panel scrolled into view. */
export async function screenshotJobPanel(page, name) {
  await page.getByTestId('job-panel').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(page, name);
}

export async function resultRowCount(page) {
  return Number((await page.getByTestId('result-rowcount').textContent()).trim());
}

/** Cell text vs an oracle value: numbers compared numerically, the rest as text. */
export function sameValue(shown, expected) {
  if (expected === null || expected === undefined) return shown === null;
  if (shown === null) return false;
  if (typeof expected === 'number') {
    const n = Number(shown);
    if (!Number.isFinite(n)) return false;
    return Math.abs(n - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
  }
  if (typeof expected === 'boolean') return shown === String(expected);
  // The page prints timestamps as SQL engines do (a space between date and time); the
  // oracle's Python prints ISO 8601's T.
  if (typeof expected === 'string' && /^\d{4}-\d\d-\d\dT\d\d:/.test(expected)) {
    return shown === expected.replace('T', ' ');
  }
  return shown === String(expected);
}

export function assertRowsEqual(assert, shownRows, expectedRows, what) {
  assert.equal(shownRows.length, expectedRows.length, `${what}: row count`);
  shownRows.forEach((row, i) => {
    assert.equal(row.length, expectedRows[i].length, `${what}: width of row ${i}`);
    row.forEach((cell, j) => {
      assert.ok(sameValue(cell, expectedRows[i][j]),
        `${what}: row ${i} column ${j}: page shows ${JSON.stringify(cell)}, oracle says ${JSON.stringify(expectedRows[i][j])}`);
    });
  });
}

/** Every row of the result, in the page's order: only the rows in view are on the page,
 *  so this scrolls the table a screen at a time in the page, as query.test.mjs does, and
 *  keeps each row by its number. Cells as text, null for NULL. */
export async function readAllRows(page) {
  return page.getByTestId('result-scroll').evaluate(async (scroller) => {
    const total = Number(document.querySelector('[data-testid=result-rowcount]').textContent.trim());
    const seen = new Map();
    const table = () => scroller.querySelector('[data-testid=result-table]');
    // Until the rows from a new first row are shown with their values (fetched by block).
    const shown = async (ready) => {
      for (const until = Date.now() + 30_000; ;) {
        const t = table();
        if (t && ready(t) && !t.querySelector('td.loading')) return t;
        if (Date.now() > until) {
          throw new Error(`rows did not arrive: first row ${t?.dataset.firstRow}, ${seen.size} of ${total} seen`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    scroller.scrollTop = 0;
    let t = await shown((tb) => tb.dataset.firstRow === '1');
    for (;;) {
      for (const tr of t.querySelectorAll('tbody tr')) {
        seen.set(Number(tr.dataset.row), [...tr.querySelectorAll('td')]
          .map((td) => (td.classList.contains('null') ? null : td.textContent)));
      }
      if (seen.size >= total) break;
      const first = t.dataset.firstRow;
      const top = scroller.scrollTop;
      // A screen of rows less one: what shows below the header (names and profiles).
      scroller.scrollTop = top + scroller.clientHeight - scroller.querySelector('thead').offsetHeight - 26;
      if (scroller.scrollTop <= top) throw new Error(`the table stopped scrolling with ${seen.size} of ${total} rows seen`);
      t = await shown((tb) => tb.dataset.firstRow !== first);
    }
    const numbers = [...seen.keys()].sort((a, b) => a - b);
    const gaps = numbers.filter((n, i) => n !== i + 1);
    if (gaps.length) throw new Error(`rows ${gaps.slice(0, 5)} are out of place among ${numbers.length} (of ${total})`);
    return { total, rows: numbers.map((n) => seen.get(n)) };
  });
}

/** A column's tolerance. A DECIMAL answer is exact at its own scale: avg of DECIMAL(15,2)
 *  has 6 places, but DuckDB answers a double. So it is one unit in its last place. Other
 *  numbers get sameValue's relative 1e-9. */
function scaleTolerance(type) {
  const m = type.match(/^Decimal\d*\(\s*\d+\s*,\s*(-?\d+)\s*\)/);
  return m ? 10 ** -Number(m[1]) : 0;
}

/** The page's rows against DuckDB's as multisets (a query may order its rows, but ties
 *  may fall either way), column by column by position: DuckDB and DataFusion name
 *  unaliased aggregates differently. The columns that hold fractions are matched with a
 *  tolerance. The others must be equal and find a row's candidates. Returns the rows
 *  with no partner on each side. */
export function unmatchedRows(types, shownRows, expectedRows) {
  const approx = types.map((t) => /^(Float|Decimal)/.test(t));
  const tol = types.map(scaleTolerance);
  const NULL = '\u0000null';
  const exactKey = (cells, canon) => JSON.stringify(cells.map(canon).filter((_, j) => !approx[j]));
  const shownKey = (row) => exactKey(row, (c, j) => {
    if (c === null) return NULL;
    return /^U?Int/.test(types[j]) ? String(Number(c)) : c;
  });
  const expectedKey = (row) => exactKey(row, (v) => (v === null || v === undefined ? NULL : String(v)));
  const close = (cell, want, j) => sameValue(cell, want) || (tol[j] > 0 && cell !== null && typeof want === 'number'
    && Math.abs(Number(cell) - want) <= tol[j] * 1.0001);
  const candidates = new Map();
  for (const row of shownRows) {
    const k = shownKey(row);
    if (!candidates.has(k)) candidates.set(k, []);
    candidates.get(k).push(row);
  }
  const missing = [];
  for (const want of expectedRows) {
    const pool = candidates.get(expectedKey(want)) ?? [];
    const at = pool.findIndex((row) => row.every((cell, j) => !approx[j] || close(cell, want[j], j)));
    if (at < 0) missing.push(want);
    else pool.splice(at, 1);
  }
  return { missing, extra: [...candidates.values()].flat() };
}
