// Jobs bigger than their workers' memory, in the page: with "Memory per worker MB" set,
// each pool worker's sorts, aggregations and sort-merge joins spill to its arena in the
// Origin Private File System, and once the page holds as much shuffle output as the
// workers' budgets together, map tasks write their blocks there too. The answers must
// equal DuckDB's, the job's events and its stage page must show the spill, and what a
// dead tab left in OPFS must be removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, runSql, readResult, resultRowCount, oracle, generateTaxi, assertRowsEqual, setSetting,
  saveEventLog, showJobView, screenshot, typeSql, tempDir,
} from './harness.mjs';
import { writeFileSync } from 'node:fs';

// 765,000 yellow trips, some 110 MB in memory, against 8 MB per worker.
const ROWS = 900_000;
const BUDGET_MB = 8;
let page, yellow;

withPage(async (opened) => {
  page = opened;
  yellow = path.join(generateTaxi(ROWS, 5, 3), 'yellow');
  await page.getByTestId('folder-input').setInputFiles(yellow);
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'workers', 2);
  await setSetting(page, 'memory-mb', BUDGET_MB);
});

/** The arenas in the page's OPFS spill folder: name and size. */
async function arenas() {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('kiln-spill', { create: true });
    const out = [];
    for await (const [name, handle] of folder.entries()) {
      let size = null;
      try { size = (await handle.getFile()).size; } catch { /* held by a worker */ }
      out.push({ name, size });
    }
    return out;
  });
}

/** Runs `sql`, checks its rows against DuckDB's (the first page, and the count), and
 *  returns the job's spill from its events. */
async function check(sql, what) {
  await runSql(page, sql);
  assert.equal(await page.getByTestId('error-panel').count(), 0,
    `${what}: ${await page.getByTestId('error-panel').allTextContents()}`);
  // DuckDB's count, and its first rows (the page shows the first page of the result).
  const [[count]] = oracle('query', `SELECT count(*) FROM (${sql}) q`, `yellow=${yellow}`);
  assert.equal(await resultRowCount(page), Number(count), `${what}: row count`);
  const shown = (await readResult(page)).rows;
  const expected = oracle('query', `${sql} LIMIT ${shown.length}`, `yellow=${yellow}`);
  assertRowsEqual(assert, shown, expected, what);
  const finished = (await saveEventLog(page)).filter((e) => e.event === 'task_finished').map((e) => e.metrics);
  assert.ok(finished.every((m) => m.memory_budget_bytes === BUDGET_MB << 20), `${what}: every task had the budget`);
  const sum = (key) => finished.reduce((s, m) => s + m[key], 0);
  return {
    files: sum('spill_files'), written: sum('spill_write_bytes'), read: sum('spill_read_bytes'),
    shuffleToDisk: sum('shuffle_disk_write_bytes'), shuffleFromDisk: sum('shuffle_disk_read_bytes'),
  };
}

function assertSpilled(spill, what) {
  assert.ok(spill.files > 0 && spill.written > 0, `${what}: it did not spill: ${JSON.stringify(spill)}`);
  assert.equal(spill.read, spill.written, `${what}: every spilled byte was read back`);
}

test('a sort of every row spills to OPFS and gives DuckDB\'s order', async () => {
  const sql = `SELECT total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID",
    trip_distance, fare_amount FROM yellow
    ORDER BY total_amount DESC, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID", trip_distance`;
  assertSpilled(await check(sql, 'sort'), 'sort');
  // The stage page says what the budget was and what spilled.
  await showJobView(page, 'stages');
  await page.locator('[data-testid=dag-stage][data-stage="0"]').click();
  const hint = page.getByTestId('memory-budget');
  await hint.waitFor();
  assert.match(await hint.textContent(), new RegExp(`had ${BUDGET_MB}\\.0 MiB.*spilled: \\d+ files`));
  const spills = await page.getByTestId('task-spill').allTextContents();
  assert.ok(spills.some((t) => /in \d+ files?/.test(t)), `a task row shows its spill: ${spills}`);
  await page.getByTestId('stage-page').scrollIntoViewIfNeeded();
  await screenshot(page, 'spill-stage-page');
});

test('a group-by with most rows their own group and a large join spill and match DuckDB', async () => {
  const groups = `SELECT count(*) AS groups, sum(n) AS trips, max(n) AS most, min(d) AS shortest FROM (
    SELECT tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID", count(*) AS n,
      sum(total_amount) AS total, min(trip_distance) AS d, max(tip_amount) AS tip
    FROM yellow GROUP BY 1, 2, 3, 4) g`;
  assertSpilled(await check(groups, 'group-by'), 'group-by');
  const join = `SELECT a."VendorID", count(*) AS pairs, sum(b.trip_distance) AS distance
    FROM yellow a JOIN yellow b ON a.tpep_pickup_datetime = b.tpep_pickup_datetime AND a."PULocationID" = b."PULocationID"
    GROUP BY a."VendorID" ORDER BY a."VendorID"`;
  assertSpilled(await check(join, 'join'), 'join');
});

test('the arenas of a dead tab are removed, and a worker\'s own is emptied after its job', async () => {
  // A dead tab's arena: a file no worker holds open.
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('kiln-spill', { create: true });
    const file = await folder.getFileHandle('worker-0-dead.spill', { create: true });
    const writable = await file.createWritable();
    await writable.write(new Uint8Array(1 << 20));
    await writable.close();
  });
  assert.ok((await arenas()).some((a) => a.name === 'worker-0-dead.spill'));
  // New workers (a new pool) open their arenas and remove what no worker holds.
  await setSetting(page, 'workers', 3);
  assertSpilled(await check('SELECT * FROM yellow ORDER BY fare_amount DESC, tpep_pickup_datetime, "PULocationID", total_amount, trip_distance', 'sort on 3 workers'), 'sort on 3 workers');
  const left = await arenas();
  assert.ok(!left.some((a) => a.name === 'worker-0-dead.spill'), `the dead tab's arena is gone: ${JSON.stringify(left)}`);
  // What is left is live workers' arenas, each empty once its spill files were dropped
  // (or held open, so not readable from the page).
  assert.ok(left.length >= 1 && left.length <= 3 + 2, JSON.stringify(left));
  assert.ok(left.every((a) => a.size === null || a.size === 0), JSON.stringify(left));
  await setSetting(page, 'workers', 2);
});

test('a budget too small fails the job with the operator and the memory, and the page stays usable', async () => {
  await setSetting(page, 'memory-mb', 1);
  await runSql(page, 'SELECT * FROM yellow ORDER BY total_amount');
  const error = page.getByTestId('error-panel');
  await error.waitFor();
  const text = await error.textContent();
  assert.match(text, /Resources exhausted/);
  assert.match(text, /raise the memory budget per worker/);
  assert.match(text, /stage \d+ task \d+/);
  // Failed at its first attempt: under the same budget a retry would fail the same way.
  assert.match(text, /not retried/);
  const failed = (await saveEventLog(page)).filter((e) => e.event === 'task_failed');
  assert.ok(failed.length >= 1 && failed.every((e) => !e.will_retry), JSON.stringify(failed.map((e) => e.will_retry)));
  await setSetting(page, 'memory-mb', '');
  await runSql(page, 'SELECT count(*) AS n FROM yellow');
  assert.equal(await page.getByTestId('error-panel').count(), 0);
  const [[trips]] = oracle('query', 'SELECT count(*) AS n FROM yellow', `yellow=${yellow}`);
  assert.equal(Number((await readResult(page)).rows[0][0]), Number(trips));
});

/** Every file under the page's OPFS shuffle folder: `tab-…/job-…/name` and size. */
async function shuffleFiles(p = page) {
  return p.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const out = [];
    const walk = async (dir, prefix) => {
      for await (const [name, handle] of dir.entries()) {
        if (handle.kind === 'directory') await walk(handle, `${prefix}${name}/`);
        else out.push({ path: `${prefix}${name}`, size: (await handle.getFile()).size });
      }
    };
    await walk(await root.getDirectoryHandle('kiln-shuffle', { create: true }), '');
    return out;
  });
}

/** Waits until `ok(files)` holds for the shuffle folder (its removal is asynchronous). */
async function untilShuffle(ok, what, p = page) {
  let files;
  for (let i = 0; i < 100; i++) {
    files = await shuffleFiles(p);
    if (ok(files)) return files;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: ${JSON.stringify(files)}`);
}

test('shuffle output past the workers\' memory goes to OPFS, survives a killed worker, and is removed with its job', async () => {
  // 8 MB per worker, 2 workers: the page holds 16 MB of shuffle blocks, and this job
  // shuffles seven columns of every trip (some 40 MB) for its window, from scan tasks of
  // about 4 MB of file each, into 32 partitions (so that no window task need spill).
  await setSetting(page, 'memory-mb', BUDGET_MB);
  await setSetting(page, 'partitions', 32);
  await setSetting(page, 'split-mb', 4);
  await setSetting(page, 'kill-worker', true);
  const sql = `SELECT "PULocationID", count(*) AS trips, sum(r) AS ranks, max(total) AS most FROM (
    SELECT "PULocationID", rank() OVER (PARTITION BY "PULocationID"
        ORDER BY total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, trip_distance, fare_amount, tip_amount) AS r,
      total_amount + tip_amount + fare_amount + trip_distance AS total
    FROM yellow) w GROUP BY 1 ORDER BY 1`;
  let spill, events;
  try {
    spill = await check(sql, 'shuffle to disk');
    events = await saveEventLog(page);
  } finally {
    await setSetting(page, 'kill-worker', false);
    await setSetting(page, 'split-mb', 128);
    await setSetting(page, 'partitions', '');
  }
  assert.ok(events.some((e) => e.event === 'worker_lost'), 'a worker was killed mid-job');
  // The page held at most its 16 MB, give or take the output of the tasks running when
  // it got there (one per worker): the rest of the scan stage's output went to disk.
  const scans = events.filter((e) => e.event === 'task_finished' && e.stage === 0).map((e) => e.metrics);
  const total = scans.reduce((s, m) => s + m.shuffle_write_bytes, 0);
  const largest = Math.max(...scans.map((m) => m.shuffle_write_bytes));
  assert.ok(total > 2 * (16 << 20), `the scans shuffled more than twice what the page holds: ${total}`);
  assert.ok(spill.shuffleToDisk >= total - (16 << 20) - 2 * largest,
    `the page held no more than its share: ${spill.shuffleToDisk} of ${total} to disk (largest task ${largest})`);
  // Every map output block on disk was read by a reduce task (one that ran twice reads
  // twice); the result's blocks on disk are read by the planning worker, which keeps it.
  const last = Math.max(...events.filter((e) => e.event === 'task_finished').map((e) => e.stage));
  const mapToDisk = events.filter((e) => e.event === 'task_finished' && e.stage !== last)
    .reduce((n, e) => n + e.metrics.shuffle_disk_write_bytes, 0);
  assert.ok(mapToDisk > 0 && spill.shuffleFromDisk >= mapToDisk, JSON.stringify({ mapToDisk, ...spill }));
  // The stage pages say which blocks went to disk and which stage read them.
  await showJobView(page, 'stages');
  await page.locator('[data-testid=dag-stage][data-stage="0"]').click();
  assert.match(await page.getByTestId('shuffle-on-disk').textContent(),
    /\d+ of \d+ tasks wrote their output \([\d.]+ MiB\) to this browser's private storage/);
  await page.locator('[data-testid=dag-stage][data-stage="1"]').click();
  assert.match(await page.getByTestId('shuffle-on-disk').textContent(), /read [\d.]+ MiB of their input blocks from there/);
  // The job is over: its shuffle files are gone; only its result's blocks may stay,
  // kept for paging by the planning worker.
  await untilShuffle((files) => files.every((f) => /\/result-\d+\//.test(f.path)),
    'the finished job\'s shuffle files are removed');
});

test('a result larger than the workers\' memory stays in OPFS: paged to its last row and downloaded as DuckDB gives it', async () => {
  // The merge task that makes the result writes it to disk, and the planning worker
  // keeps it there.
  // The sort of the first test: some 40 MB of result, against 8 MB per worker.
  await setSetting(page, 'memory-mb', BUDGET_MB);
  const sql = `SELECT total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID",
    trip_distance, fare_amount FROM yellow
    ORDER BY total_amount DESC, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID", trip_distance`;
  await check(sql, 'a sorted result');
  const files = await shuffleFiles();
  const kept = files.filter((f) => /\/result-\d+\//.test(f.path));
  const onDisk = kept.reduce((n, f) => n + f.size, 0);
  assert.ok(onDisk > 2 * (BUDGET_MB << 20), `the result's blocks are on disk: ${JSON.stringify(files)}`);

  // Its last rows, read from disk, are DuckDB's last rows.
  const count = await resultRowCount(page);
  await page.getByTestId('jump-last').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=result-table] td.loading'));
  const rows = page.locator('[data-testid=result-table] tbody tr');
  const first = Number(await rows.first().getAttribute('data-row'));
  const shown = (await readResult(page)).rows;
  assert.equal(first + shown.length - 1, count, 'the last page ends at the last row');
  const expected = oracle('query', `${sql} LIMIT ${shown.length} OFFSET ${first - 1}`, `yellow=${yellow}`);
  assertRowsEqual(assert, shown, expected, 'the last page');

  // A download streams it from disk: every row, the same sum as DuckDB's.
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.getByTestId('save-csv').click(),
  ]);
  const target = path.join(tempDir('kept-result'), file.suggestedFilename());
  await file.saveAs(target);
  await page.locator('[data-testid=export-status][data-done=true]').waitFor({ timeout: 300_000 });
  const [[n, sum]] = oracle('query', `SELECT count(*), round(sum(total_amount), 2) FROM read_csv('${target}')`);
  const [[m, total]] = oracle('query', 'SELECT count(*), round(sum(total_amount), 2) FROM yellow', `yellow=${yellow}`);
  assert.equal(n, m, 'rows downloaded');
  assert.ok(Math.abs(sum - total) < 0.01, `downloaded sum ${sum} vs DuckDB's ${total}`);
});

test('"Run into a folder…" writes a sorted result larger than the workers\' memory as Parquet in DuckDB\'s order, and removes what it staged', async () => {
  // Under a budget each part of the result is staged in OPFS (result-N) before it is
  // copied into the picked folder, so neither the page nor the planning worker holds it.
  await setSetting(page, 'memory-mb', BUDGET_MB);
  await page.evaluate(() => {
    window.showDirectoryPicker = async () =>
      (await navigator.storage.getDirectory()).getDirectoryHandle('picked-run', { create: true });
  });
  const resultFolders = (files) => new Set(files.map((f) => f.path.match(/^(.*\/result-\d+)\//)?.[1]).filter(Boolean));
  const keptBefore = resultFolders(await shuffleFiles());
  const keys = ['total_amount DESC', 'tpep_pickup_datetime', 'tpep_dropoff_datetime', '"PULocationID"', '"DOLocationID"', 'trip_distance'];
  const rows = `SELECT total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID",
    trip_distance, fare_amount FROM yellow`;
  const sql = `${rows} ORDER BY ${keys.join(', ')}`;
  await typeSql(page, sql);
  // Watches OPFS while the job runs, for the parts staged on their way to the folder.
  const staged = new Set();
  let running = true;
  const watch = (async () => {
    while (running) {
      const names = await page.evaluate(async () => {
        // Names only: a file a worker is writing cannot be opened from here.
        const out = [];
        const walk = async (dir, prefix) => {
          for await (const [name, handle] of dir.entries()) {
            if (handle.kind === 'directory') await walk(handle, `${prefix}${name}/`);
            else out.push({ path: `${prefix}${name}` });
          }
        };
        try {
          await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('kiln-shuffle'), '');
        } catch { /* a folder removed while walked */ }
        return out;
      });
      for (const f of resultFolders(names)) if (!keptBefore.has(f)) staged.add(f);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await page.getByTestId('run-to-folder').click();
  await page.locator('[data-testid=written-result], [data-testid=error-panel]').first().waitFor({ timeout: 300_000 });
  running = false;
  await watch;
  assert.equal(await page.getByTestId('error-panel').count(), 0, `${await page.getByTestId('error-panel').allTextContents()}`);
  assert.ok(staged.size > 0, 'the result\'s parts were staged in OPFS');
  const finished = (await saveEventLog(page)).filter((e) => e.event === 'task_finished').map((e) => e.metrics);
  assert.ok(finished.every((m) => m.memory_budget_bytes === BUDGET_MB << 20), 'every task had the budget');

  const files = await page.evaluate(async () => {
    const out = [];
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked-run');
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind === 'file') out.push([name, [...new Uint8Array(await (await handle.getFile()).arrayBuffer())]]);
    }
    return out;
  });
  const dir = tempDir('run-to-folder');
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name), Buffer.from(bytes));
  const parquet = files.map(([name]) => name).filter((n) => n.endsWith('.parquet'));
  assert.ok(parquet.length > 0 && files.some(([name]) => name === '_SUCCESS'), `written: ${files.map(([n]) => n)}`);
  const written = `read_parquet('${dir}/*.parquet', filename = true, file_row_number = true)`;
  const [[missing, extra]] = oracle('query', `SELECT
      (SELECT count(*) FROM (${rows} EXCEPT ALL SELECT * EXCLUDE (filename, file_row_number) FROM ${written})),
      (SELECT count(*) FROM (SELECT * EXCLUDE (filename, file_row_number) FROM ${written} EXCEPT ALL ${rows}))`,
  `yellow=${yellow}`);
  assert.deepEqual([missing, extra], [0, 0], 'the files hold DuckDB\'s rows, each as often');
  // In order: no row (files by name, rows by position) comes before the one ahead of it.
  const key = 'row(-total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID", trip_distance)';
  const [[outOfOrder]] = oracle('query', `SELECT count(*) FROM (SELECT ${key} AS k,
      lag(${key}) OVER (ORDER BY filename, file_row_number) AS before FROM ${written}) WHERE k < before`);
  assert.equal(outOfOrder, 0, 'rows out of DuckDB\'s order');

  // What was staged for the copy is gone once the job is written.
  await untilShuffle((now) => [...resultFolders(now)].every((f) => keptBefore.has(f)), 'the staged result parts are removed');
});

test('a tab closed mid-job leaves no OPFS files behind after the next start', async () => {
  const context = page.context();
  const url = page.url();
  const open = async () => {
    const p = await context.newPage();
    await p.goto(url);
    await p.locator('[data-testid=status][data-state=ready]').waitFor({ timeout: 60_000 });
    return p;
  };
  const arenaNames = async (p) => p.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('kiln-spill', { create: true });
    const out = [];
    for await (const [name] of folder.entries()) out.push(name);
    return out;
  });
  const before = new Set(await arenaNames(page));
  // This tab's folder may hold a kept result: only the doomed tab's files count.
  const tabOf = (f) => f.path.split('/')[0];
  const liveTabs = new Set((await shuffleFiles()).map(tabOf));
  const doomed = await open();
  await doomed.getByTestId('folder-input').setInputFiles(yellow);
  await doomed.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(doomed, 'workers', 2);
  await setSetting(doomed, 'memory-mb', BUDGET_MB);
  await setSetting(doomed, 'partitions', 16);
  const editor = await typeSql(doomed,
    'SELECT * FROM yellow ORDER BY total_amount DESC, tpep_pickup_datetime, "PULocationID", trip_distance, fare_amount');
  await editor.press('Control+Enter');
  // Mid-job: its map tasks have written shuffle files, its workers hold spill arenas.
  const written = await untilShuffle((files) => files.some((f) => f.size > 0 && !liveTabs.has(tabOf(f))),
    'the doomed tab wrote shuffle files', doomed);
  const tabs = new Set(written.map(tabOf).filter((t) => !liveTabs.has(t)));
  const doomedArenas = (await arenaNames(doomed)).filter((n) => !before.has(n));
  assert.ok(doomedArenas.length > 0, 'the doomed tab\'s workers opened spill arenas');
  await doomed.close();
  // The next tab to start removes the dead tab's shuffle folder and its workers' spill
  // arenas (no live worker holds them open) at once, before running anything.
  const untilArenasGone = async (names, p) => {
    let left;
    for (let i = 0; i < 100; i++) {
      left = (await arenaNames(p)).filter((n) => names.includes(n));
      if (left.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`the dead tab's arenas are still there: ${left}`);
  };
  const next = await open();
  try {
    await untilShuffle((files) => !files.some((f) => tabs.has(f.path.split('/')[0])), 'the dead tab\'s shuffle files are removed', next);
    await untilArenasGone(doomedArenas, next);
  } finally {
    await next.close();
  }
});
