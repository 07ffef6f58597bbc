// Where one query's time goes between the page's threads: every message between the
// page and its workers (the planning worker, each pool worker), timestamped in the page,
// for one run after warm-ups.
//   node bench/msgtrace.mjs [--dist=DIR] [--tpch=SCALE | --rows=N] [--query=ID] [--workers=N] [--warm=3] [--jsflags=...]
import path from 'node:path';

import { launch, setSetting } from '../tests/browser/harness.mjs';
import { ROOT, args, generate, generateTpch } from './common.mjs';
import { TAXI_TABLES, kilnPage, kilnRun, tablesOf } from './kiln-page.mjs';
import { QUERIES, tpchQueries } from './queries.mjs';
import { serve } from './server.mjs';

const tpch = args.tpch ? Number(args.tpch) : null;
const query = (tpch ? tpchQueries() : QUERIES).find((q) => q.id === (args.query ?? (tpch ? 'q03' : 'count')));
const dir = tpch ? generateTpch(tpch) : generate(Number(args.rows ?? 5_000_000), 6);
const server = await serve({ '/': path.resolve(args.dist ?? path.join(ROOT, 'dist')) });
const browser = await launch(args.jsflags ? [`--js-flags=${args.jsflags}`] : []);
try {
  // Every message to and from a worker, timestamped on the page's clock.
  const init = () => {
    const Real = window.Worker;
    window.msgLog = [];
    const what = (m) => {
      const body = m?.request?.body ?? m?.response?.body;
      return `${m?.kind ?? '?'}${body?.type ? `:${body.type}` : ''}`;
    };
    let next = 0;
    window.Worker = class extends Real {
      constructor(url, opts) {
        super(url, opts);
        this.name = `${String(url).split('/').pop().replace(/\.js.*/, '')}#${next++}`;
        this.addEventListener('message', (e) => window.msgLog.push([performance.now(), `${this.name} ->`, what(e.data)]));
      }

      postMessage(m, t) {
        window.msgLog.push([performance.now(), `-> ${this.name}`, what(m)]);
        return super.postMessage(m, t);
      }
    };
  };
  const kiln = await kilnPage(browser, server.url, dir, tpch ? tablesOf(dir) : TAXI_TABLES, { init });
  await setSetting(kiln, 'workers', Number(args.workers ?? 2));
  for (let i = 0; i < Number(args.warm ?? 3); i++) await kilnRun(kiln, query.sql);
  await kiln.evaluate(() => { window.msgLog = []; });
  const ms = await kilnRun(kiln, query.sql);
  const start = await kiln.evaluate(() => window.benchRun.start);
  const log = await kiln.evaluate(() => window.msgLog);
  console.log(`${query.id}: ${ms.toFixed(1)} ms (status running at 0, idle at ${ms.toFixed(1)})`);
  for (const [t, dirn, kind] of log) console.log(`${(t - start).toFixed(1).padStart(8)} ${dirn} ${kind}`);
} finally {
  await browser.close();
  server.stop();
}
