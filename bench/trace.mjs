// One query's tasks in the page, worker by worker: when each attempt started and ended,
// relative to the job's start, from the job's event log. For finding where a job waits.
//   node bench/trace.mjs [--dist=DIR] [--rows=N | --tpch=SCALE] [--workers=N] [--query=ID] [--runs=N]
import path from 'node:path';

import { launch, saveEventLog, setSetting } from '../tests/browser/harness.mjs';
import { ROOT, args, generate, generateTpch } from './common.mjs';
import { TAXI_TABLES, kilnPage, kilnRun, tablesOf } from './kiln-page.mjs';
import { QUERIES, tpchQueries } from './queries.mjs';
import { serve } from './server.mjs';

const dist = path.resolve(args.dist ?? path.join(ROOT, 'dist'));
const rows = Number(args.rows ?? 5_000_000);
const tpch = args.tpch ? Number(args.tpch) : null;
const query = (tpch ? tpchQueries() : QUERIES).find((q) => q.id === (args.query ?? (tpch ? 'q01' : 'group_by')));
const dir = tpch ? generateTpch(tpch) : generate(rows, 6, process.env.KILN_BIN ?? path.join(ROOT, 'target/debug/kiln'));
const server = await serve({ '/': dist });
const browser = await launch();
try {
  const page = await kilnPage(browser, server.url, dir, tpch ? tablesOf(dir) : TAXI_TABLES);
  await setSetting(page, 'workers', Number(args.workers ?? 2));
  for (let i = 0; i < Number(args.runs ?? 3); i++) console.log(`run ${i}: ${(await kilnRun(page, query.sql)).toFixed(1)} ms`);
  const events = await saveEventLog(page);
  const t0 = events.find((e) => e.event === 'job_started')?.at_ms ?? events[0]?.at_ms ?? 0;
  for (const e of events) {
    const { event, at_ms, worker, stage, task, attempt, metrics } = e;
    const extra = metrics ? ` dur=${metrics.duration_ms?.toFixed?.(1)} rows_in=${metrics.rows_in} out=${metrics.output_bytes}` : '';
    console.log(`${(at_ms - t0).toFixed(1).padStart(8)} ${event} ${worker ?? ''} s${stage ?? ''} t${task ?? ''} a${attempt ?? ''}${extra}`);
  }
} finally {
  await browser.close();
  server.stop();
}
