// Two builds of Kiln's page against each other on the same data, in one Chromium: for a
// change meant to make the engine faster (a profile setting, a kernel), before it is kept.
// Runs alternate between the builds (A, B, A, B, ...) so a machine that slows down
// mid-run weighs on both alike.
//
//   node bench/ab.mjs --a=DIST_A --b=DIST_B [--rows=5000000] [--workers=2] [--runs=5]
//                     [--queries=group_by,top10] [--cold] [--tpch=0.1]
//                     [--a-memory-mb=N] [--b-memory-mb=N]
//
// --a-memory-mb / --b-memory-mb: that side's jobs run under a memory budget per worker
// (the same build on both sides then measures what a budget costs).
// --tpch=SF: TPC-H's 22 queries at that scale factor (tpchgen-cli's data, as scripts/bench
// makes it) instead of the taxi queries.
// --cold: every run is a query's first in a page just opened (nothing read yet).
// The data is the benchmark's own (bench/out/data/ROWS, made by `kiln gen` when missing).
import path from 'node:path';

import { launch, setSetting } from '../tests/browser/harness.mjs';
import { args, generate, generateTpch, median } from './common.mjs';
import { kilnPage, kilnRun, tablesOf, TAXI_TABLES } from './kiln-page.mjs';
import { QUERIES, tpchQueries } from './queries.mjs';
import { serve } from './server.mjs';

if (!args.a || !args.b) {
  console.error('usage: node bench/ab.mjs --a=DIST_A --b=DIST_B [--rows=N] [--workers=N] [--runs=N] [--queries=id,id] [--cold] [--tpch=SF]');
  process.exit(2);
}
const ROWS = Number(args.rows ?? 5_000_000);
const WORKERS = Number(args.workers ?? 2);
const RUNS = Number(args.runs ?? 5);
const COLD = Boolean(args.cold);
const TPCH = args.tpch ? Number(args.tpch) : null;
const all = TPCH ? tpchQueries() : QUERIES;
const wanted = args.queries ? String(args.queries).split(',') : all.map((q) => q.id);
const queries = all.filter((q) => wanted.includes(q.id));

const data = TPCH ? generateTpch(TPCH) : generate(ROWS, 6);
const tables = TPCH ? tablesOf(data) : TAXI_TABLES;

const builds = { A: path.resolve(args.a), B: path.resolve(args.b) };
const servers = {};
const pages = {};
const browser = await launch();
try {
  const open = async (name) => {
    await pages[name]?.close();
    pages[name] = await kilnPage(browser, servers[name].url, data, tables);
    await setSetting(pages[name], 'workers', WORKERS);
    const memory = args[`${name.toLowerCase()}-memory-mb`];
    if (memory) await setSetting(pages[name], 'memory-mb', memory);
  };
  for (const [name, dist] of Object.entries(builds)) {
    servers[name] = await serve({ '/': dist });
    await open(name);
  }
  console.log(`${TPCH ? `TPC-H SF ${TPCH}` : `${ROWS.toLocaleString('en')} rows`}, ${WORKERS} workers, median of ${RUNS} runs`
    + (COLD ? ', each the first in a fresh page' : ' after a warm-up'));
  const budget = (name) => (args[`${name}-memory-mb`] ? `, ${args[`${name}-memory-mb`]} MB per worker` : '');
  console.log(`A = ${builds.A}${budget('a')}\nB = ${builds.B}${budget('b')}\n`);
  console.log('query              A ms     B ms    B/A');
  const ratios = [];
  for (const q of queries) {
    const times = { A: [], B: [] };
    if (!COLD) for (const name of ['A', 'B']) await kilnRun(pages[name], q.sql);
    for (let i = 0; i < RUNS; i++) {
      for (const name of ['A', 'B']) {
        if (COLD) await open(name);
        times[name].push(await kilnRun(pages[name], q.sql));
      }
    }
    const [a, b] = [median(times.A), median(times.B)];
    ratios.push(b / a);
    console.log(`${q.id.padEnd(16)} ${a.toFixed(0).padStart(6)}   ${b.toFixed(0).padStart(6)}   ${(b / a).toFixed(2)}`);
  }
  const geomean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
  console.log(`${'geomean B/A'.padEnd(32)} ${geomean.toFixed(2)}`);
} finally {
  await browser.close();
  for (const s of Object.values(servers)) s.stop();
}
