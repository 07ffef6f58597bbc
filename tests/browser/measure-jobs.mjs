// Not a test: prints how long the suite's group-by and join take as jobs in the page on
// 1, 2 and 4 workers (median of 5 runs after a warm-up, with min and max), over generated
// taxi data, for notes and benchmarks. Usage: node measure-jobs.mjs [ROWS] [SPLIT_MB]
import path from 'node:path';
import { startServer, launch, openPage, runSql, generateTaxi, addFiles, setSetting } from './harness.mjs';

const rows = Number(process.argv[2] ?? 5_000_000);
const splitMb = Number(process.argv[3] ?? 128);
const RUNS = 5;
const QUERIES = {
  group_by: `SELECT payment_type, count(*) AS trips, sum(total_amount) AS revenue, avg(trip_distance) AS distance
    FROM yellow GROUP BY payment_type ORDER BY payment_type`,
  join: `SELECT z."Borough" AS borough, count(*) AS trips, sum(y.total_amount) AS total
    FROM yellow y JOIN taxi_zone_lookup z ON y."PULocationID" = z."LocationID" GROUP BY z."Borough" ORDER BY borough`,
};

const dir = generateTaxi(rows);
const server = await startServer();
const browser = await launch();
try {
  const page = await openPage(browser, server.url);
  await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'yellow'));
  await addFiles(page, [path.join(dir, 'taxi_zone_lookup.parquet')]);
  await page.locator('[data-testid=table-item][data-table="taxi_zone_lookup"]').waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor();
  await setSetting(page, 'split-mb', splitMb);
  console.log(`split ${splitMb} MB; ${rows} generated rows (yellow: ${path.join(dir, 'yellow')}), ${RUNS} runs after a warm-up`);
  for (const workers of [1, 2, 4]) {
    await setSetting(page, 'workers', workers);
    for (const [name, sql] of Object.entries(QUERIES)) {
      await runSql(page, sql);
      const times = [];
      for (let run = 0; run < RUNS; run++) {
        await runSql(page, sql);
        const text = await page.getByTestId('result-elapsed').textContent();
        times.push(Number(text.match(/[\d.]+/)[0]));
      }
      times.sort((a, b) => a - b);
      const tasks = await page.getByTestId('stage').evaluateAll((s) => s.map((x) => x.dataset.tasks).join('+'));
      console.log(`${name.padEnd(9)} ${workers} worker(s): median ${times[2]} ms (min ${times[0]}, max ${times[4]}), tasks ${tasks}`);
    }
  }
} finally {
  await browser.close();
  server.stop();
}
