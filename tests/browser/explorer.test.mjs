// A person picks Parquet files; the explorer's numbers must equal what pyarrow reads
// from the same footers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  withPage, addFiles, tableNames, oracle, generateTaxi, screenshot, duckdbTypes,
  PARQUET_TESTING,
} from './harness.mjs';

let page, taxiDir;

withPage(async (opened) => {
  page = opened;
  taxiDir = generateTaxi(1_000_000);
});

async function checkExplorer(table, file) {
  await page.locator(`[data-testid=table-item][data-table="${table}"]`).click();
  const explorer = page.getByTestId('explorer');
  await explorer.waitFor();
  const expected = oracle('describe', file);
  assert.equal(Number(await page.getByTestId('explorer-rows').textContent()), expected.rows, `${table}: rows`);
  const fileBox = explorer.getByTestId('explorer-file').first();
  assert.equal(Number(await fileBox.getByTestId('file-rows').textContent()), expected.rows);
  assert.equal(Number(await fileBox.getByTestId('file-size-bytes').textContent()), expected.size);
  assert.equal((await fileBox.getByTestId('file-created-by').textContent()).trim(), expected.created_by);
  const groups = await fileBox.getByTestId('row-group').evaluateAll((rows) => rows.map((r) => ({
    rows: Number(r.querySelector('.rg-rows').textContent),
    compressed: Number(r.querySelector('.rg-compressed').textContent),
    uncompressed: Number(r.querySelector('.rg-uncompressed').textContent),
  })));
  assert.deepEqual(groups, expected.row_groups, `${table}: row groups`);
  for (const [column, facts] of Object.entries(expected.columns)) {
    const row = fileBox.locator(`[data-testid=column-row][data-column="${column}"]`);
    assert.equal((await row.locator('.col-physical').textContent()).trim(), facts.physical, `${column}: physical type`);
    if (facts.nulls !== null) {
      assert.equal(Number(await row.locator('.col-nulls').textContent()), facts.nulls, `${column}: nulls`);
    }
    if (facts.extremes) {
      assert.deepEqual([(await row.locator('.col-min').textContent()).trim(), (await row.locator('.col-max').textContent()).trim()],
        facts.extremes, `${column}: min/max`);
    }
    assert.equal((await row.locator('.col-compression').textContent()).trim().toUpperCase(),
      facts.compression.toUpperCase(), `${column}: compression`);
  }
}

test('picked files appear as tables named after the files', async () => {
  await addFiles(page, [
    path.join(PARQUET_TESTING, 'data/alltypes_plain.parquet'),
    path.join(taxiDir, 'yellow/yellow_tripdata_2024-01.parquet'),
  ]);
  await page.locator('[data-testid=table-item][data-table="yellow_tripdata_2024_01"]').waitFor();
  assert.deepEqual((await tableNames(page)).sort(), ['alltypes_plain', 'yellow_tripdata_2024_01']);
  assert.deepEqual(page.errors, []);
});

test('explorer of a small file equals pyarrow', async () => {
  await checkExplorer('alltypes_plain', path.join(PARQUET_TESTING, 'data/alltypes_plain.parquet'));
});

test('explorer of a generated file with several row groups equals pyarrow', async () => {
  const file = path.join(taxiDir, 'yellow/yellow_tripdata_2024-01.parquet');
  assert.ok(oracle('describe', file).row_groups.length > 1, 'the generated month should span row groups');
  const facts = oracle('describe', file);
  assert.ok(Object.values(facts.columns).filter((c) => c.extremes).length >= 4, 'integer columns with statistics');
  await checkExplorer('yellow_tripdata_2024_01', file);
  await screenshot(page, 'explorer');
});

test('the schema names types in SQL words, as DuckDB does, with Arrow\'s on hover', async () => {
  const file = path.join(taxiDir, 'yellow/yellow_tripdata_2024-01.parquet');
  await page.locator('[data-testid=table-item][data-table="yellow_tripdata_2024_01"]').click();
  const shown = await page.getByTestId('explorer').locator('code.type').evaluateAll((cells) =>
    cells.map((c) => ({ sql: c.textContent.trim(), arrow: c.dataset.arrowType, title: c.title })));
  // DuckDB's names, with the two words Kiln spells as Spark does.
  const spark = { VARCHAR: 'STRING', INTEGER: 'INT' };
  const duck = duckdbTypes('SELECT * FROM t', `t=${file}`).map((t) => spark[t] ?? t);
  assert.deepEqual(shown.map((s) => s.sql), duck);
  for (const s of shown) assert.ok(s.arrow && s.title.includes(s.arrow), `the Arrow type on hover: ${JSON.stringify(s)}`);
  assert.ok(shown.some((s) => s.sql === 'TIMESTAMP' && s.arrow.startsWith('Timestamp')), JSON.stringify(shown));
});

test('a folder pick becomes one table with partition columns', async () => {
  await page.getByTestId('folder-input').setInputFiles(path.join(taxiDir, 'yellow'));
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await page.locator('[data-testid=table-item][data-table="yellow"]').click();
  const expectedRows = oracle('query', 'SELECT count(*) FROM t', `t=${path.join(taxiDir, 'yellow')}`)[0][0];
  assert.equal(Number(await page.getByTestId('explorer-rows').textContent()), expectedRows);
  assert.equal(await page.getByTestId('explorer').getByTestId('explorer-file').count(), 3);
});
