// Not a test: runs a query over a folder of Parquet files in the page under a memory
// budget per worker and under the default one, and prints the time, each worker's peak wasm memory, what
// the tasks spilled and shuffled to OPFS, and the browser's peak resident memory, for
// notes.
// Usage: node measure-spill.mjs FOLDER BUDGET_MB [WORKERS] [SQL] [--budget-only] [--to-folder] [--tasks]
//   (the table is the folder's name). --to-folder runs the job with "Run into a folder…"
//   and checks the Parquet files it wrote against DuckDB over FOLDER: rows, sums, and
//   (for the default query) that they are in order.
// The browser keeps its profile on disk (`launchPersistent`), so OPFS is on disk as for
// a user, and a fresh browser is started for each run: a wasm instance's memory never
// shrinks, so its size is the peak of everything it ran.
import { readFileSync, writeFileSync, readdirSync, statSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  startServer, launchPersistent, openPageIn, runSql, typeSql, setSetting, saveEventLog, readResult,
  resultRowCount, tempDir, PYTHON,
} from './harness.mjs';

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const [folder, budget, workers = '2', sqlArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const table = path.basename(folder);
const sortKeys = ['total_amount', 'tpep_pickup_datetime'];
const sql = sqlArg ?? `SELECT * FROM ${table} ORDER BY ${sortKeys.join(', ')}`;
const toFolder = flags.has('--to-folder');
const mb = (b) => (b / 2 ** 20).toFixed(0);

/** This process's descendants (the browser and its children), by pid, with their kind. */
function chromiumProcesses() {
  const parents = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch { /* gone */ }
  }
  const mine = new Set([String(process.pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents) if (mine.has(ppid) && !mine.has(pid)) { mine.add(pid); grew = true; }
  }
  mine.delete(String(process.pid));
  return [...mine].flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chrom')) return [];
      return [{ pid, kind: /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser' }];
    } catch { return []; }
  });
}
const peakResident = (pid) => {
  try { return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024; } catch { return 0; }
};

/** Every complete Parquet file under `dir` (OPFS keeps files under its own names). */
function parquetFilesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) { walk(p); continue; }
      if (st.size < 12) continue;
      const fd = openSync(p, 'r');
      const head = Buffer.alloc(4); const tail = Buffer.alloc(4);
      readSync(fd, head, 0, 4, 0); readSync(fd, tail, 0, 4, st.size - 4);
      closeSync(fd);
      if (head.toString() === 'PAR1' && tail.toString() === 'PAR1') out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The written files against DuckDB over the input. For the default sort: rows and sums
 *  equal, every file in order, and no two files' key ranges crossing. For a query given:
 *  DuckDB runs it too, and the rows that one side has and the other lacks are counted
 *  (so give it exact aggregates: counts, integer sums, min, max). */
function checkWritten(files) {
  const script = String.raw`
import duckdb, json, sys
import pyarrow.parquet as pq
src, table, sql, keys, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(','), sys.argv[5:]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{src}/*.parquet')")
con.execute("CREATE VIEW written AS SELECT * FROM read_parquet([" + ", ".join(repr(f) for f in files) + "])")
if keys == ['']:
    rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    missing = con.execute(f"SELECT count(*) FROM (({sql}) EXCEPT ALL SELECT * FROM written)").fetchone()[0]
    extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM written EXCEPT ALL ({sql}))").fetchone()[0]
    print(json.dumps({"duckdb_rows": rows, "missing": missing, "extra": extra}))
    sys.exit(0)
agg = "SELECT count(*), sum(total_amount::DECIMAL(18,2)), sum(trip_distance::DECIMAL(18,2)), count(DISTINCT tpep_pickup_datetime) FROM "
inp = con.execute(agg + table).fetchone()
out = con.execute(agg + "written").fetchone()
ranges, unsorted = [], 0
import pyarrow as pa, pyarrow.compute as pc
def ordered(batch):
    # Keys as numbers (timestamps as their integers) beside their nulls: a null sorts last.
    cols = []
    for k in keys:
        c = batch.column(k)
        if str(c.type).startswith('timestamp'):
            c = c.cast('int64')
        c = c.cast('float64')
        cols.append((pc.is_null(c), pc.fill_null(c, 0.0)))
    return cols
def bad_pairs(prev, cur):
    # How many rows of cur are less than the row before them (in prev), lexicographically.
    n = len(cur[0][0])
    less, equal = pa.array([False] * n), pa.array([True] * n)
    for (pn, pv), (cn, cv) in zip(prev, cur):
        both = pc.and_(pc.invert(pn), pc.invert(cn))
        less = pc.or_(less, pc.and_(equal, pc.or_(pc.and_(pn, pc.invert(cn)), pc.and_(both, pc.less(cv, pv)))))
        equal = pc.and_(equal, pc.and_(pc.equal(pn, cn), pc.or_(pn, pc.equal(cv, pv))))
    return int(pc.sum(less.cast('int64')).as_py() or 0)
def at(cols, i):
    return [(n[i].as_py(), v[i].as_py()) for n, v in cols]
def one(key):
    return [(pa.array([n]), pa.array([v])) for n, v in key]
for f in files:
    first = last = None
    for batch in pq.ParquetFile(f).iter_batches(columns=keys, batch_size=1 << 20):
        if batch.num_rows == 0: continue
        cols = ordered(batch)
        if first is None: first = at(cols, 0)
        unsorted += bad_pairs([(n[:-1], v[:-1]) for n, v in cols], [(n[1:], v[1:]) for n, v in cols])
        if last is not None:
            unsorted += bad_pairs(one(last), [(n[:1], v[:1]) for n, v in cols])
        last = at(cols, batch.num_rows - 1)
    if first is not None: ranges.append((first, last))
key = lambda k: [(bool(n), float(v)) for n, v in k]
ranges.sort(key=lambda r: key(r[0]))
crossing = sum(1 for a, b in zip(ranges, ranges[1:]) if key(a[1]) > key(b[0]))
print(json.dumps({"input": [str(v) for v in inp], "written": [str(v) for v in out],
                  "out_of_order_rows": unsorted, "crossing_files": crossing}))
`;
  const run = spawnSync(PYTHON, ['-c', script, folder, table, sql, sqlArg ? '' : sortKeys.join(','), ...files],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`the DuckDB check failed: ${run.stderr}`);
  // The last line: DuckDB may draw a progress bar on stdout before it on big files.
  return JSON.parse(run.stdout.trim().split("\n").at(-1));
}

function describeCheck(check) {
  if ('duckdb_rows' in check) {
    return `DuckDB's answer has ${check.duckdb_rows} rows; ${check.missing} of them missing from the files, ` +
      `${check.extra} rows in the files not in it: ${check.missing === 0 && check.extra === 0 ? 'EQUAL' : 'DIFFERENT'}`;
  }
  return `DuckDB over the input (count, sum total_amount, sum trip_distance, distinct pickups) ${check.input.join(', ')}; ` +
    `over the files ${check.written.join(', ')}: ${JSON.stringify(check.input) === JSON.stringify(check.written) ? 'EQUAL' : 'DIFFERENT'}` +
    `; ${check.out_of_order_rows} rows out of order, ${check.crossing_files} files whose ranges cross`;
}

const server = await startServer();
try {
  for (const memory of flags.has('--budget-only') ? [budget] : [budget, '']) {
    const profile = tempDir('measure-profile');
    const context = await launchPersistent(profile);
    try {
      const page = await openPageIn(context, server.url);
      await page.getByTestId('folder-input').setInputFiles(folder);
      await page.locator(`[data-testid=table-item][data-table="${table}"]`).waitFor({ timeout: 600_000 });
      await setSetting(page, 'workers', workers);
      await setSetting(page, 'memory-mb', memory);
      const procs = chromiumProcesses();
      procs.forEach(({ pid }) => { try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); } catch { /* gone */ } });
      const started = Date.now();
      let answer;
      if (toFolder) {
        await page.evaluate(() => {
          window.showDirectoryPicker = async () =>
            (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
        });
        await typeSql(page, sql);
        await page.getByTestId('run-to-folder').click();
        await page.locator('[data-testid=written-result], [data-testid=error-panel]')
          .first().waitFor({ timeout: 4 * 3_600_000 });
      } else {
        await runSql(page, sql, { timeout: 4 * 3_600_000 });
      }
      const wall = Date.now() - started;
      const errors = await page.getByTestId('error-panel').allTextContents();
      if (errors.length) answer = `FAILED: ${errors.join(' ').slice(0, 400)}`;
      else if (toFolder) answer = (await page.getByTestId('written-result').textContent()).trim();
      else answer = `${await resultRowCount(page)} rows, first ${JSON.stringify((await readResult(page)).rows[0])}`;
      const finished = (await saveEventLog(page)).filter((e) => e.event === 'task_finished');
      const peaks = new Map();
      for (const e of finished) peaks.set(e.worker, Math.max(peaks.get(e.worker) ?? 0, e.metrics.peak_memory_bytes));
      const heap = Math.max(0, ...finished.map((e) => e.metrics.peak_heap_bytes ?? 0));
      const sum = (k) => finished.reduce((n, e) => n + (e.metrics[k] ?? 0), 0);
      const resident = procs.map((p) => ({ ...p, peak: peakResident(p.pid) }));
      const byKind = (kind) => resident.filter((p) => p.kind === kind).map((p) => mb(p.peak)).join(' + ');
      console.log(`${memory ? `${memory} MB per worker` : 'the default budget'}, ${workers} workers: ${wall} ms, ${answer}` +
        `; ${finished.length} tasks; spill ${sum('spill_files')} files, ${mb(sum('spill_write_bytes'))} MB written, ${mb(sum('spill_read_bytes'))} MB read` +
        `; peak wasm memory: ${[...peaks].map(([w, p]) => `worker ${w} ${mb(p)} MB`).join(', ')}` +
        `; a task's largest heap ${mb(heap)} MB` +
        `; shuffle ${mb(sum('shuffle_disk_write_bytes'))} MB to disk of ${mb(sum('shuffle_write_bytes'))} MB` +
        `; peak resident MB: renderer ${byKind('renderer')}, browser ${byKind('browser')}, utility ${byKind('utility')}` +
        `, all ${mb(resident.reduce((n, p) => n + p.peak, 0))}`);
      if (flags.has('--tasks')) {
        // Wasm memory never shrinks, so each worker's peaks in the order its tasks ended
        // show whether one task or a growth over many made the high-water mark; beside
        // it (after the slash), the most the task's allocations held at once.
        const byWorker = new Map();
        for (const e of finished) {
          const line = byWorker.get(e.worker) ?? [];
          line.push(`s${e.stage}:${mb(e.metrics.peak_memory_bytes)}/${mb(e.metrics.peak_heap_bytes ?? 0)}(${(e.metrics.rows_in / 1e6).toFixed(1)}M rows, ${mb(e.metrics.spill_write_bytes)} MB spilled)`);
          byWorker.set(e.worker, line);
        }
        for (const [w, line] of byWorker) console.log(`  worker ${w}: ${line.join(' ')}`);
      }
      if (toFolder && !errors.length) {
        const files = parquetFilesUnder(path.join(profile, 'Default'));
        const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
        const started = Date.now();
        const check = checkWritten(files);
        console.log(`written: ${files.length} Parquet files, ${mb(bytes)} MB; ${describeCheck(check)} (${Date.now() - started} ms to check)`);
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
} finally {
  server.stop();
}
