// Kiln's benchmark: the same queries over the same generated files, in one run, by
//   - Kiln in the page with 1, 2 and 4 workers (Debian's Chromium, headless),
//   - DuckDB-WASM 1.28.0 (Parquet registered as a buffer, over HTTP ranges, and
//     through File handles) and the newest DuckDB-WASM over Arrow tables,
//   - the native Kiln CLI (1 and 2 worker threads) and native DuckDB (PyPI),
// then the page's own figures: first paint, time to interactive, wasm size, peak
// memory per worker. Every engine's answer is checked against native DuckDB's.
// Two kinds of data: the workshop's taxi trips (`kiln gen`) with its queries, and TPC-H
// (`tpchgen-cli`) with its 22.
//
//   node bench/run.mjs [--smoke] [--rows=5000000,20000000] [--tpch=1] [--only=taxi|tpch]
//                      [--runs=5] [--big]
//
// --smoke: 20,000 taxi rows and TPC-H at scale factor 0.01, one run each, written to
// bench/out/smoke/ (the test command). Otherwise figures are medians of --runs runs after
// a warm-up, written to bench/ (with --only, to bench/out/taxi/ or bench/out/tpch/).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { launch, setSetting } from '../tests/browser/harness.mjs';
import { BENCH, OUT, ROOT, args, generate, generateTpch, log, mb, median } from './common.mjs';
import { TAXI_TABLES, kilnAnswer, kilnPage, kilnRun, parseCsv, peakPerWorker, tablesOf } from './kiln-page.mjs';
import { QUERIES, tpchQueries } from './queries.mjs';
import { serve } from './server.mjs';
import { writeReport } from './report.mjs';

const SMOKE = Boolean(args.smoke);
const RUNS = SMOKE ? 1 : Number(args.runs ?? 5);
const list = (v, fallback) => String(v ?? fallback).split(',').filter(Boolean).map(Number);
const ONLY = args.only ? String(args.only) : null;
const ROWS = ONLY === 'tpch' ? [] : SMOKE ? [20_000] : list(args.rows, '5000000,20000000');
const TPCH = ONLY === 'taxi' ? [] : SMOKE ? [0.01] : list(args.tpch, '1');
const MONTHS = 6;
const KILN_GEN = process.env.KILN_BIN ?? path.join(ROOT, 'target/debug/kiln');
// Native timings need the release CLI; the smoke run only checks answers.
const KILN_NATIVE = process.env.KILN_NATIVE ?? (SMOKE ? KILN_GEN : path.join(ROOT, 'target/release/kiln'));
const PYTHON = process.env.KILN_PYTHON ?? path.join(ROOT, '.venv/bin/python');
const DIST = process.env.KILN_DIST ?? path.join(ROOT, 'dist');
// A run of one kind of data (--only) writes beside the smoke run's, so bench/results.*
// always hold a full run.
const REPORT_DIR = SMOKE ? path.join(OUT, 'smoke') : ONLY ? path.join(OUT, ONLY) : BENCH;
const summary = (times) => ({ median: median(times), min: Math.min(...times), max: Math.max(...times), times });

// --- data -------------------------------------------------------------------------------

/** Every Parquet file of a data folder, as `{ table, name, file }` (name relative). */
function parquetFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      for (const f of readdirSync(full).filter((f) => f.endsWith('.parquet')).sort()) {
        out.push({ table: entry, name: `${entry}/${f}`, file: path.join(full, f) });
      }
    } else if (entry.endsWith('.parquet')) {
      out.push({ table: entry.replace(/\.parquet$/, ''), name: entry, file: full });
    }
  }
  return out;
}

function bytesOf(dir) {
  return parquetFiles(dir).reduce((n, f) => n + statSync(f.file).size, 0);
}

/** A data set as the run measures it: where its files are, the tables as the page opens
 * them, its queries, and which of DuckDB-WASM's ways of reading Parquet it is worth. */
function taxiDataset(rows) {
  return {
    id: `${rows}`, suite: 'taxi', dir: generate(rows, MONTHS, KILN_GEN), tables: TAXI_TABLES, queries: QUERIES,
    title: (bytes) => `${rows.toLocaleString('en')} taxi rows (${MONTHS} months, ${mb(bytes)} of zstd Parquet)`,
    // Over HTTP and through File handles are the page's other ways in; the newest
    // DuckDB-WASM over Arrow tables only where its tables fit the tab.
    duckdbModes: ['buffer', 'http'], handles: true, arrow: rows <= 5_000_000,
  };
}

function tpchDataset(scale) {
  const dir = generateTpch(scale);
  return {
    id: `tpch-sf${scale}`, suite: 'tpch', dir, tables: tablesOf(dir), queries: tpchQueries(),
    title: (bytes) => `TPC-H at scale factor ${scale} (${mb(bytes)} of Parquet, tpchgen-cli)`,
    duckdbModes: ['buffer'], handles: false, arrow: false,
  };
}

// --- answers ------------------------------------------------------------------------------

/** A value as a comparable number or text: timestamps as epoch ms, numbers as numbers. */
function norm(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return v;
  const s = String(v);
  if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(s)) return Date.parse(`${s.replace(' ', 'T')}Z`);
  const n = Number(s);
  return Number.isNaN(n) ? s : n;
}

function canonical(rows) {
  const key = (r) => JSON.stringify(r.map((v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v)));
  return rows.map((r) => r.map(norm)).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Why `got` differs from `want` (null when equal, floats to a relative 1e-6). */
function difference(got, want) {
  const [g, w] = [canonical(got), canonical(want)];
  if (g.length !== w.length) return `${g.length} rows where the reference has ${w.length}`;
  for (let i = 0; i < g.length; i++) {
    for (let j = 0; j < w[i].length; j++) {
      const [a, b] = [g[i][j], w[i][j]];
      const same = typeof a === 'number' && typeof b === 'number'
        ? Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b)) : a === b;
      if (!same) return `row ${i} column ${j}: ${JSON.stringify(g[i])} where the reference has ${JSON.stringify(w[i])}`;
    }
  }
  return null;
}


// --- DuckDB-WASM -------------------------------------------------------------------------------

async function duckdbPage(browser, url, version) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${url}/bench/duckdb.html?v=${version}`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 120_000 });
  return page;
}

async function duckdbViews(page, files, suffix = '') {
  const tables = [...new Set(files.map((f) => f.table))];
  for (const t of tables) {
    const names = files.filter((f) => f.table === t).map((f) => `'${f.name}${suffix}'`);
    await page.evaluate((sql) => window.bench.exec(sql), `CREATE VIEW "${t}" AS SELECT * FROM read_parquet([${names.join(', ')}])`);
  }
}

async function duckdbRun(page, sql) {
  return page.evaluate((q) => window.bench.time(q), sql);
}

// --- the run --------------------------------------------------------------------------------

/** Times `run()` for every query: a warm-up, then RUNS runs; keeps one answer. */
async function timeQueries(label, run, answer, only) {
  const out = {};
  for (const q of only) {
    try {
      const first = await run(q.sql);
      const times = [];
      for (let i = 0; i < RUNS; i++) times.push((await run(q.sql)).ms);
      out[q.id] = { ...summary(SMOKE ? [first.ms] : times), answer: first.answer ?? (answer ? await answer(q) : null) };
      log(`${label} ${q.id}: ${out[q.id].median.toFixed(0)} ms`);
    } catch (e) {
      out[q.id] = { error: String(e.message ?? e).slice(0, 300) };
      log(`${label} ${q.id}: failed: ${out[q.id].error}`);
    }
  }
  return out;
}

async function benchDataset(browser, url, ds) {
  const { dir, queries: QS } = ds;
  const files = parquetFiles(dir);
  const bytes = bytesOf(dir);
  const result = {
    id: ds.id, suite: ds.suite, title: ds.title(bytes), parquet_bytes: bytes,
    queries: QS.map(({ id, title, scan, sql }) => ({ id, title, scan, sql })), engines: {},
  };
  const dataUrl = `/data/${path.basename(dir)}`;

  // Native DuckDB first: its answers are the reference every other engine is held to.
  const queriesFile = path.join(OUT, 'queries.json');
  writeFileSync(queriesFile, JSON.stringify(QS));
  const native = JSON.parse(execFileSync(PYTHON, [path.join(BENCH, 'native.py'), 'duckdb', dir, queriesFile, String(RUNS)],
    { encoding: 'utf8', maxBuffer: 256 << 20 }));
  result.engines['duckdb-native'] = {
    label: `DuckDB ${execFileSync(PYTHON, ['-c', 'import duckdb; print(duckdb.__version__)'], { encoding: 'utf8' }).trim()} native (${native.threads} threads)`,
    queries: Object.fromEntries(Object.entries(native.queries).map(([id, r]) => [id, { ...summary(r.times), answer: r }])),
  };

  // Native Kiln, on 1 and 2 worker threads: the same engine the page runs, in a process.
  const tableArgs = ds.tables.map((t) => `${t.table}=${path.join(dir, t.path)}`);
  for (const workers of [1, 2]) {
    const run = (sql) => {
      // `--` ends the options: a query may start with a comment (`-- ...`).
      const p = spawnSync(KILN_NATIVE, ['sql', '--time', '--workers', String(workers), '--format', 'csv', '--', sql, ...tableArgs],
        { encoding: 'utf8', maxBuffer: 256 << 20 });
      if (p.status !== 0) throw new Error(p.stderr.trim().slice(0, 300));
      const [header, ...rest] = parseCsv(p.stdout);
      const ms = Number(/elapsed: ([\d.]+) ms/.exec(p.stderr)[1]);
      return { ms, answer: { columns: header, rows: rest } };
    };
    result.engines[`kiln-native-${workers}`] = {
      label: `Kiln native CLI, ${workers} worker thread${workers > 1 ? 's' : ''}`,
      queries: await timeQueries(`${ds.id} kiln native ${workers}w`, async (sql) => run(sql), null, QS),
    };
  }

  // Kiln in the page.
  const page = await kilnPage(browser, url, dir, ds.tables);
  for (const workers of [1, 2, 4]) {
    await setSetting(page, 'workers', workers);
    const peaks = {};
    const queries = await timeQueries(`${ds.id} kiln page ${workers}w`, async (sql) => ({ ms: await kilnRun(page, sql) }),
      async (q) => {
        Object.assign(peaks, { [q.id]: await peakPerWorker(page) });
        return kilnAnswer(page);
      }, QS);
    result.engines[`kiln-page-${workers}`] = {
      label: `Kiln in the page, ${workers} worker${workers > 1 ? 's' : ''}`, queries, peak_memory_per_worker: peaks,
    };
  }
  await page.close();

  // DuckDB-WASM 1.28.0 reading Parquet: in its memory, over HTTP, through File handles.
  const duckAnswer = (r) => ({ columns: r.columns, rows: r.rows });
  for (const mode of ds.duckdbModes) {
    const duck = await duckdbPage(browser, url, '1-28');
    const specs = files.map((f) => ({ name: f.name, url: `${dataUrl}/${f.name}` }));
    await duck.evaluate(([m, s]) => (m === 'buffer' ? window.bench.registerBuffers(s) : window.bench.registerUrls(s)), [mode, specs]);
    await duckdbViews(duck, files);
    const version = await duck.evaluate(() => window.bench.version);
    result.engines[`duckdb-wasm-${mode}`] = {
      label: `DuckDB-WASM ${version}, Parquet ${mode === 'buffer' ? 'registered as a buffer' : 'over HTTP range requests'}`,
      queries: await timeQueries(`${ds.id} duckdb-wasm ${mode}`, async (sql) => {
        const r = await duckdbRun(duck, sql);
        return { ms: r.ms, answer: duckAnswer(r) };
      }, null, QS),
    };
    // Closing the context (awaited) closes the page; a close left in flight rejects
    // with TargetClosedError once the browser is closed at the end of the run.
    await duck.context().close();
  }
  if (ds.handles) {
    // File handles: slow enough that one run of the count is what is reported.
    const duck = await duckdbPage(browser, url, '1-28');
    await duck.locator('#files').setInputFiles(files.map((f) => f.file));
    await duck.evaluate(() => window.bench.registerHandles());
    const byBase = files.map((f) => ({ ...f, name: path.basename(f.name) }));
    await duckdbViews(duck, byBase);
    const queries = {};
    for (const q of QS.filter((x) => x.id === 'count')) {
      try {
        let timer;
        const r = await Promise.race([
          duckdbRun(duck, q.sql),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('over 300 s')), 300_000); }),
        ]).finally(() => clearTimeout(timer));
        queries[q.id] = { ...summary([r.ms]), answer: duckAnswer(r) };
        log(`duckdb-wasm file handles ${q.id}: ${r.ms.toFixed(0)} ms`);
      } catch (e) {
        queries[q.id] = { error: String(e.message ?? e) };
      }
    }
    result.engines['duckdb-wasm-handles'] = { label: 'DuckDB-WASM 1.28.0, Parquet through File handles (one run)', queries };
    await duck.context().close();
  }
  // The newest DuckDB-WASM reads Parquet only with an extension fetched from the
  // internet; offline it gets the same data as Arrow tables, which is another contest.
  if (ds.arrow) {
    const arrowDir = path.join(dir, 'arrow');
    if (!existsSync(arrowDir)) execFileSync(PYTHON, [path.join(BENCH, 'native.py'), 'arrow', dir, arrowDir]);
    const duck = await duckdbPage(browser, url, 'newest');
    const tables = readdirSync(arrowDir).map((f) => ({ name: f.replace(/\.arrows$/, ''), url: `${dataUrl}/arrow/${f}` }));
    try {
      await duck.evaluate((t) => window.bench.loadArrow(t), tables);
      const version = await duck.evaluate(() => window.bench.version);
      result.engines['duckdb-wasm-newest-arrow'] = {
        label: `DuckDB-WASM ${version}, Arrow tables in memory (not Parquet)`,
        queries: await timeQueries(`${ds.id} duckdb-wasm newest arrow`, async (sql) => {
          const r = await duckdbRun(duck, sql);
          return { ms: r.ms, answer: duckAnswer(r) };
        }, null, QS),
      };
    } catch (e) {
      result.engines['duckdb-wasm-newest-arrow'] = { label: 'DuckDB-WASM newest, Arrow tables', error: String(e.message ?? e) };
    }
    await duck.context().close();
  }
  return result;
}

/** First paint and time to interactive (engine ready) of a fresh page, medians of 5. */
async function pageLoad(browser, url) {
  const paints = [];
  const ready = [];
  for (let i = 0; i < (SMOKE ? 1 : 5); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (!window.benchInteractive && document.querySelector('[data-testid=status][data-state=ready]')) {
          window.benchInteractive = performance.now();
        }
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.waitForFunction(() => window.benchInteractive, null, { timeout: 120_000 });
    paints.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
    ready.push(await page.evaluate(() => window.benchInteractive));
    await context.close();
  }
  return { first_contentful_paint_ms: summary(paints), interactive_ms: summary(ready) };
}

function wasmSizes() {
  const out = {};
  const walk = (dir) => {
    for (const e of readdirSync(dir)) {
      const full = path.join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
      else if (e.endsWith('.wasm')) {
        const bytes = readFileSync(full);
        out[path.relative(DIST, full)] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
      }
    }
  };
  walk(DIST);
  return out;
}

/** Each engine's answers against native DuckDB's; returns the differences found. */
function check(results) {
  const problems = [];
  for (const ds of results.datasets) {
    const reference = ds.engines['duckdb-native'].queries;
    for (const [engine, r] of Object.entries(ds.engines)) {
      for (const [id, q] of Object.entries(r.queries ?? {})) {
        if (engine === 'duckdb-native' || !q.answer) continue;
        const why = difference(q.answer.rows, reference[id].answer.rows);
        if (why) problems.push(`${ds.id}, ${engine}, ${id}: ${why}`);
        q.equal_to_reference = !why;
      }
    }
    for (const r of Object.values(ds.engines)) {
      for (const q of Object.values(r.queries ?? {})) delete q.answer;
    }
  }
  return problems;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await serve({
    '/bench/out/': path.join(OUT, 'www'),
    '/bench/node_modules/': path.join(BENCH, 'node_modules'),
    '/bench/': path.join(BENCH, 'www'),
    '/data/': path.join(OUT, 'data'),
    '/': DIST,
  });
  const browser = await launch();
  const results = {
    when: new Date().toISOString(),
    smoke: SMOKE,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30) },
    runs: RUNS,
    datasets: [],
  };
  try {
    results.page = { ...(await pageLoad(browser, server.url)), wasm: wasmSizes() };
    for (const rows of ROWS) results.datasets.push(await benchDataset(browser, server.url, taxiDataset(rows)));
    for (const scale of TPCH) results.datasets.push(await benchDataset(browser, server.url, tpchDataset(scale)));
    if (args.big) results.big_file = await bigFile(browser, server.url);
  } finally {
    await browser.close();
    server.stop();
  }
  const problems = check(results);
  results.problems = problems;
  mkdirSync(REPORT_DIR, { recursive: true });
  writeReport(results, REPORT_DIR);
  log(`written to ${REPORT_DIR}`);
  if (problems.length) {
    console.error(`answers differ from native DuckDB's:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
}

/** One 1 GB+ Parquet file: Kiln's time and peak memory per worker on two queries. */
async function bigFile(browser, url) {
  const dir = generate(60_000_000, 1, KILN_GEN);
  const file = parquetFiles(dir).find((f) => f.table === 'yellow');
  const page = await kilnPage(browser, url, dir);
  await setSetting(page, 'workers', 2);
  const out = { file_bytes: statSync(file.file).size, queries: {} };
  for (const q of QUERIES.filter((x) => ['count', 'group_by'].includes(x.id))) {
    const ms = await kilnRun(page, q.sql);
    out.queries[q.id] = { ms, peak_memory_per_worker: await peakPerWorker(page) };
    log(`big file ${q.id}: ${ms.toFixed(0)} ms`);
  }
  await page.close();
  return out;
}

await main();
