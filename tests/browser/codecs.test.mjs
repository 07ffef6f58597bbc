// Every common codec, nested types, nulls and timestamps of every unit, decoded in the
// browser: files written by pyarrow (an independent writer), answers from DuckDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, addFiles, runSql, readResult, oracle, assertRowsEqual, tempDir,
  PARQUET_TESTING,
} from './harness.mjs';

let page, files;

withPage(async (opened) => {
  page = opened;
  files = oracle('codec-files', tempDir('codecs'));
  await addFiles(page, [
    ...files,
    path.join(PARQUET_TESTING, 'data/hadoop_lz4_compressed.parquet'),
    path.join(PARQUET_TESTING, 'data/lz4_raw_compressed.parquet'),
  ]);
  await page.locator('[data-testid=table-item][data-table="lz4_raw_compressed"]').waitFor();
});

// Timestamps as text differ only in the date/time separator between the engines.
const norm = (rows) => rows.map((r) => r.map((v) => (typeof v === 'string' ? v.replace('T', ' ') : v)));

for (const codec of ['none', 'snappy', 'gzip', 'brotli', 'lz4', 'zstd']) {
  test(`pyarrow's ${codec} file decodes in the page`, async () => {
    const file = files.find((f) => f.endsWith(`codec_${codec}.parquet`));
    const sql = (t) => `SELECT count(*), count(label), count(DISTINCT label), sum(id), count(tags),
      CAST(max(ts_ms) AS VARCHAR), CAST(min(ts_us) AS VARCHAR), CAST(max(ts_ns) AS VARCHAR),
      sum(point['x']), count(attrs) FROM ${t}`;
    await runSql(page, sql(`codec_${codec}`));
    const shown = norm((await readResult(page)).rows);
    assertRowsEqual(assert, shown, norm(oracle('query', sql('t'), `t=${file}`)), codec);
  });
}

for (const name of ['hadoop_lz4_compressed', 'lz4_raw_compressed']) {
  test(`${name} decodes in the page`, async () => {
    const file = path.join(PARQUET_TESTING, `data/${name}.parquet`);
    const sql = (t) => `SELECT count(*), count(c1), sum(c0), sum(v11) FROM ${t}`;
    const expected = oracle('query', sql('t'), `t=${file}`);
    await runSql(page, sql(name));
    assertRowsEqual(assert, (await readResult(page)).rows, expected, name);
  });
}
