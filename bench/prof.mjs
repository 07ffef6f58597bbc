// A CPU profile of Kiln's page running one benchmark query: V8's sampling profiler
// (--prof) in every isolate, the page's workers included, summarized per isolate with
// bench/ticks.py. Give it a build whose wasm keeps its name section (wasm-bindgen
// without --remove-name-section) so the profile names Rust functions.
//
//   node bench/prof.mjs --dist=DIR [--rows=5000000 | --tpch=SCALE] [--workers=2] [--query=group_by] [--runs=3]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { launch, setSetting } from '../tests/browser/harness.mjs';
import { BENCH, OUT, ROOT, args, generate, generateTpch } from './common.mjs';
import { TAXI_TABLES, kilnPage, kilnRun, tablesOf } from './kiln-page.mjs';
import { QUERIES, tpchQueries } from './queries.mjs';
import { serve } from './server.mjs';

const rows = Number(args.rows ?? 5_000_000);
const tpch = args.tpch ? Number(args.tpch) : null;
const query = (tpch ? tpchQueries() : QUERIES).find((q) => q.id === (args.query ?? (tpch ? 'q01' : 'group_by')));
const data = tpch ? generateTpch(tpch) : generate(rows, 6);
const out = path.join(OUT, 'profile');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const server = await serve({ '/': path.resolve(args.dist ?? path.join(ROOT, 'dist')) });
// One log per isolate: the page, the engine worker and each pool worker.
const browser = await launch([`--js-flags=--prof --logfile=${out}/v8.log`]);
try {
  const page = await kilnPage(browser, server.url, data, tpch ? tablesOf(data) : TAXI_TABLES);
  await setSetting(page, 'workers', Number(args.workers ?? 2));
  for (let i = 0; i < Number(args.runs ?? 3); i++) console.log(`${query.id}: ${(await kilnRun(page, query.sql)).toFixed(0)} ms`);
} finally {
  await browser.close();
  server.stop();
}
// Node's own --prof-process refuses a newer V8's log; bench/ticks.py reads it.
for (const log of readdirSync(out).filter((f) => f.endsWith('.log'))) {
  const summary = execFileSync('python3', [path.join(BENCH, 'ticks.py'), path.join(out, log)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  writeFileSync(path.join(out, `${log}.txt`), summary);
  console.log(summary.split('\n')[0]);
}
