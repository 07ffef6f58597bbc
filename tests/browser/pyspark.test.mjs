// PySpark in the page: programs typed in the PySpark editor run on the pool of workers
// (every action a job), pipelines built step by step run the same way, and any job
// exports to Spark. Answers come from PySpark itself (local mode, in the test venv) on
// the same files, and from DuckDB; exported scripts are run on PySpark too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  withPage, addFiles, oracle, generateTaxi, tempDir, screenshot, runSql, readResult,
  resultRowCount, assertRowsEqual,
} from './harness.mjs';

let page, taxi;

withPage(async (opened) => {
  page = opened;
  taxi = generateTaxi(120_000);
  await page.getByTestId('folder-input').setInputFiles(path.join(taxi, 'yellow'));
  await page.getByTestId('folder-input').setInputFiles(path.join(taxi, 'green'));
  await addFiles(page, [path.join(taxi, 'taxi_zone_lookup.parquet')]);
  for (const name of ['yellow', 'green', 'taxi_zone_lookup']) {
    await page.locator(`[data-testid=table-item][data-table="${name}"]`).waitFor();
  }
});

const HEADER = `from pyspark.sql import SparkSession
from pyspark.sql import functions as F
spark = SparkSession.builder.appName("course").getOrCreate()
`;

/** PySpark's answer for the program's variable `name`, run from the taxi folder so the
 *  program's relative paths mean the same files as in the page. */
function pysparkRows(program, name) {
  const file = path.join(tempDir('program'), 'program.py');
  writeFileSync(file, program);
  return oracle('pyspark', file, taxi, name);
}

/** Rows as a sorted multiset, numbers to 10 significant digits (sums may add up in
 *  another order), timestamps as ISO text without a trailing zero time. */
function canonRows(rows) {
  return rows.map((r) => JSON.stringify(r.map((v) => {
    if (typeof v === 'number') return Number(v.toPrecision(10));
    if (typeof v === 'string') return v.replace(' ', 'T');
    return v;
  }))).sort();
}

/** Types a program into the PySpark editor and runs it; waits for its console to finish. */
async function runProgram(source) {
  await page.getByTestId('mode-pyspark').click();
  const editor = page.getByTestId('pyspark-editor');
  await editor.click();
  await editor.press('Control+a');
  await editor.fill(source);
  await editor.press('Control+Enter');
  await page.waitForFunction(() => {
    const status = document.querySelector('[data-testid=status]');
    const console_ = document.querySelector('[data-testid=console]');
    const error = document.querySelector('[data-testid=error-panel]');
    return status?.dataset.state === 'ready' && (error || (console_ && !console_.querySelector('.console-running')));
  }, null, { timeout: 180_000 });
}

async function consoleEntries() {
  return page.getByTestId('console').evaluate((c) => [...c.querySelectorAll('.console-entry')].map((e) => ({
    kind: e.dataset.testid,
    status: e.dataset.status ?? null,
    text: e.querySelector('.console-text')?.textContent ?? null,
    table: e.querySelector('[data-testid=console-table]')
      ? {
        columns: [...e.querySelectorAll('thead th')].map((th) => th.textContent),
        rows: [...e.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')]
          .map((td) => (td.classList.contains('null') ? null : td.textContent))),
      }
      : null,
  })));
}

test('a PySpark program runs in the page: each action is a job, and show() prints PySpark\'s rows', async () => {
  const program = `${HEADER}
yellow = spark.read.parquet("yellow")
zones = spark.read.parquet("taxi_zone_lookup.parquet")
yellow.printSchema()
by_borough = (yellow.join(zones.withColumnRenamed("LocationID", "PULocationID"), "PULocationID")
    .groupBy("Borough")
    .agg(F.count("*").alias("trips"), F.round(F.sum("total_amount"), 2).alias("revenue"))
    .orderBy("Borough"))
by_borough.show()
print(yellow.count())
`;
  await runProgram(program);
  assert.equal(await page.getByTestId('error-panel').count(), 0, await page.getByTestId('error-panel').allTextContents());
  const entries = await consoleEntries();
  assert.deepEqual(entries.map((e) => e.kind), ['console-text', 'console-job', 'console-text'],
    'printSchema, the show() job and the printed count, in program order');
  assert.match(entries[0].text, /^root\n \|-- VendorID: integer \(nullable = /, 'Spark\'s type names');
  assert.equal(entries[1].status, 'done');
  const expected = pysparkRows(program, 'by_borough');
  assert.deepEqual(entries[1].table.columns, expected.columns);
  assertRowsEqual(assert, entries[1].table.rows, expected.rows, 'show() in the console');
  const [[count]] = oracle('query', 'SELECT count(*) FROM yellow', `yellow=${path.join(taxi, 'yellow')}`);
  assert.equal(entries[2].text, String(count), 'print(yellow.count())');
  // The job is a job like any: its stages show, the broadcast of the small zone table among them.
  const edges = await page.locator('[data-testid=dag-edge]').evaluateAll((es) => es.map((e) => e.dataset.kind));
  assert.ok(edges.includes('broadcast') || edges.includes('shuffle'), `edges: ${edges}`);
  await screenshot(page, 'pyspark-console');
});

test('the course\'s revenue report runs unchanged; its coalesce(1) write downloads as one file and _SUCCESS', async () => {
  const program = `${HEADER}
df_green = spark.read.parquet("green")
df_yellow = spark.read.parquet("yellow")
df_green = df_green.withColumnRenamed("lpep_pickup_datetime", "pickup_datetime") \\
    .withColumnRenamed("lpep_dropoff_datetime", "dropoff_datetime")
df_yellow = df_yellow.withColumnRenamed("tpep_pickup_datetime", "pickup_datetime") \\
    .withColumnRenamed("tpep_dropoff_datetime", "dropoff_datetime")
common_colums = ["VendorID", "pickup_datetime", "dropoff_datetime", "store_and_fwd_flag", "RatecodeID",
    "PULocationID", "DOLocationID", "passenger_count", "trip_distance", "fare_amount", "extra", "mta_tax",
    "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount", "payment_type", "congestion_surcharge"]
df_green_sel = df_green.select(common_colums).withColumn("service_type", F.lit("green"))
df_yellow_sel = df_yellow.select(common_colums).withColumn("service_type", F.lit("yellow"))
df_trips_data = df_green_sel.unionAll(df_yellow_sel)
df_trips_data.registerTempTable("trips_data")
df_result = spark.sql("""
SELECT
    PULocationID AS revenue_zone,
    date_trunc('month', pickup_datetime) AS revenue_month,
    service_type,
    SUM(fare_amount) AS revenue_monthly_fare,
    SUM(total_amount) AS revenue_monthly_total_amount,
    AVG(passenger_count) AS avg_montly_passenger_count,
    AVG(trip_distance) AS avg_montly_trip_distance
FROM trips_data
GROUP BY 1, 2, 3
""")
df_result.coalesce(1).write.parquet("data/report/revenue/", mode="overwrite")
`;
  await runProgram(program);
  assert.equal(await page.getByTestId('error-panel').count(), 0, await page.getByTestId('error-panel').allTextContents());
  const entries = await consoleEntries();
  assert.deepEqual(entries.map((e) => [e.kind, e.status]), [['console-job', 'done']]);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('console-download-output').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'revenue.zip');
  const dir = tempDir('report');
  const zip = path.join(dir, 'revenue.zip');
  await download.saveAs(zip);
  const listed = oracle('unzip', zip, dir).map((e) => e.name).sort();
  const parquet = listed.filter((n) => n.endsWith('.parquet'));
  assert.equal(parquet.length, 1, `coalesce(1) writes one file: ${listed}`);
  assert.ok(listed.includes('revenue/_SUCCESS'), `_SUCCESS marker: ${listed}`);
  const got = oracle('query', 'SELECT * FROM r', `r=${path.join(dir, parquet[0])}`);
  const expected = pysparkRows(program.replace(/df_result\.coalesce[^\n]*\n/, ''), 'df_result');
  assert.deepEqual(canonRows(got), canonRows(expected.rows), 'the written report equals PySpark\'s');
});

test('a wrong program names its line, keeps its text, and the next good one runs', async () => {
  const bad = `${HEADER}yellow = spark.read.parquet("yellow")\nyellow.select(F.col("no_such_column")).show()\n`;
  await runProgram(bad);
  const error = await page.getByTestId('error-panel').textContent();
  assert.match(error, /line 5/, error);
  assert.match(error, /no_such_column/, error);
  assert.equal(await page.getByTestId('pyspark-editor').inputValue(), bad, 'the program is kept');
  const missing = `${HEADER}trips = spark.read.parquet("no/such/folder")\n`;
  await runProgram(missing);
  assert.match(await page.getByTestId('error-panel').textContent(), /no picked file or folder is called no\/such\/folder/);
  await runProgram(`${HEADER}spark.read.parquet("green").groupBy("payment_type").count().show()\n`);
  assert.equal(await page.getByTestId('error-panel').count(), 0);
  const entries = await consoleEntries();
  // One group per payment type, NULL among them, as PySpark groups.
  const expected = oracle('query', 'SELECT count(*) FROM (SELECT DISTINCT payment_type FROM g)', `g=${path.join(taxi, 'green')}`);
  assert.equal(entries[0].table.rows.length, expected[0][0]);
});

/** Picks `value` in the `n`-th select with this test id inside the last step card. */
async function pickInLastStep(testid, value, n = 0) {
  const select = page.getByTestId('pipeline-step').last().getByTestId(testid).nth(n);
  await select.selectOption(value);
}

async function waitForSchemas(steps) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=step-schema]').length >= n, steps,
    { timeout: 30_000 });
}

test('a pipeline built step by step shows each step\'s schema and preview, and runs as a job', async () => {
  await page.getByTestId('mode-pipeline').click();
  if (await page.getByTestId('pipeline-step').count() > 0) {
    while (await page.getByTestId('remove-step').count() > 0) await page.getByTestId('remove-step').last().click();
  }
  await page.getByTestId('pipeline-start').click();
  await pickInLastStep('read-table', 'yellow');
  await waitForSchemas(1);
  await page.getByTestId('add-step').selectOption('filter');
  await pickInLastStep('filter-column', 'trip_distance');
  await page.getByTestId('pipeline-step').last().getByTestId('filter-op').selectOption('Gt');
  await page.getByTestId('pipeline-step').last().getByTestId('filter-value').fill('2');
  await page.getByTestId('add-step').selectOption('group_by');
  await waitForSchemas(3);
  // group by payment_type, count(*) and sum(total_amount)
  const keyChips = page.getByTestId('pipeline-step').last().getByTestId('column-chips').first();
  for (const on of await keyChips.locator('.chip.on').all()) await on.click();
  await keyChips.getByText('payment_type', { exact: true }).click();
  await page.getByTestId('pipeline-step').last().getByText('+ aggregate').click();
  await pickInLastStep('agg-column', 'total_amount', 1);
  await page.getByTestId('add-step').selectOption('order_by');
  await pickInLastStep('sort-column', 'payment_type');
  await page.getByTestId('pipeline-step').last().locator('select').nth(1).selectOption('asc');
  await waitForSchemas(4);
  const schemas = await page.getByTestId('step-schema').evaluateAll((ss) => ss.map((s) =>
    [...s.querySelectorAll('.schema-field')].map((f) => f.firstChild.textContent)));
  assert.deepEqual(schemas[3], ['payment_type', 'count', 'sum_total_amount'], 'the last step\'s columns');
  assert.ok(schemas[0].includes('tpep_pickup_datetime'), 'the read step shows the table\'s columns');
  // A preview of the filter step: its first rows, each with trip_distance > 2.
  await page.getByTestId('preview-step').nth(1).click();
  await page.getByTestId('step-preview').waitFor({ timeout: 30_000 });
  const preview = await page.getByTestId('step-preview').evaluate((t) => ({
    columns: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
    rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  }));
  const distance = preview.columns.indexOf('trip_distance');
  assert.ok(preview.rows.length > 0 && preview.rows.length <= 8);
  for (const row of preview.rows) assert.ok(Number(row[distance]) > 2, `previewed row ${row}`);
  await screenshot(page, 'pipeline-builder');

  await page.getByTestId('run-button').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=console]')
    && !document.querySelector('[data-testid=console] .console-running')
    && document.querySelector('[data-testid=status]').dataset.state === 'ready', null, { timeout: 120_000 });
  assert.equal(await page.getByTestId('error-panel').count(), 0, await page.getByTestId('error-panel').allTextContents());
  const expected = oracle('query', `SELECT payment_type, count(*), sum(total_amount) FROM yellow
    WHERE trip_distance > 2 GROUP BY payment_type ORDER BY payment_type`, `yellow=${path.join(taxi, 'yellow')}`);
  assert.equal(await resultRowCount(page), expected.length);
  assertRowsEqual(assert, (await readResult(page)).rows, expected, 'the pipeline\'s result');
});

/** Exports the editor's job, downloads the PySpark script and runs it on PySpark. */
async function exportAndRun() {
  await page.getByTestId('export-spark').click();
  await page.getByTestId('export-code').waitFor({ timeout: 30_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
  assert.match(download.suggestedFilename(), /^kiln-job-\d+\.py$/);
  const dir = tempDir('export');
  const script = path.join(dir, 'job.py');
  await download.saveAs(script);
  const out = oracle('spark-script', script, taxi, path.join(dir, 'out'));
  await page.getByTestId('spark-export').getByText('Close').click();
  return out;
}

test('every kind of job exports to a PySpark script that runs on Spark with the page\'s answer', async () => {
  // SQL
  await page.getByTestId('mode-sql').click();
  const sql = `SELECT z."Borough", count(*) AS trips FROM yellow y JOIN taxi_zone_lookup z
    ON y."PULocationID" = z."LocationID" WHERE y.payment_type = 1 GROUP BY z."Borough"`;
  await runSql(page, sql);
  const fromSql = await exportAndRun();
  const expected = oracle('query', sql, `yellow=${path.join(taxi, 'yellow')}`,
    `taxi_zone_lookup=${path.join(taxi, 'taxi_zone_lookup.parquet')}`);
  const sort = canonRows;
  assert.deepEqual(sort(fromSql.rows), sort(expected), 'SQL job exported');
  await screenshot(page, 'export-spark');

  // The pipeline built above (still in its editor): its result as the page showed it.
  await page.getByTestId('mode-pipeline').click();
  const fromPipeline = await exportAndRun();
  const pipelineExpected = oracle('query', `SELECT payment_type, count(*), sum(total_amount) FROM yellow
    WHERE trip_distance > 2 GROUP BY payment_type`, `yellow=${path.join(taxi, 'yellow')}`);
  assert.equal(fromPipeline.rows.length, pipelineExpected.length);
  assert.deepEqual(sort(fromPipeline.rows.map((r) => [r[0], r[1]])), sort(pipelineExpected.map((r) => [r[0], r[1]])));

  // A PySpark program that reads by path and writes: the write lands below --output.
  const program = `${HEADER}
trips = spark.read.parquet("green")
daily = trips.groupBy(F.to_date("lpep_pickup_datetime").alias("day")).agg(F.count("*").alias("n"))
daily.write.mode("overwrite").parquet("result")
`;
  await runProgram(program);
  const fromProgram = await exportAndRun();
  const daily = pysparkRows(program.replace(/daily\.write[^\n]*\n/, ''), 'daily');
  assert.deepEqual(sort(fromProgram.rows), sort(daily.rows), 'PySpark program exported');
  const code = await (async () => {
    await page.getByTestId('export-spark').click();
    await page.getByTestId('export-code').waitFor();
    const text = await page.getByTestId('export-code').textContent();
    await page.getByTestId('export-tab-sql').click();
    const sqlText = await page.getByTestId('export-code').textContent();
    await page.getByTestId('spark-export').getByText('Close').click();
    return { text, sqlText };
  })();
  assert.match(code.text, /spark\.read\.parquet\(inp\("green"\)\)/);
  assert.match(code.sqlText, /OPTIONS \(path '\$\{input\}\/green'\)/);
  readdirSync(taxi);
});
