// Not a test: prints how long one group-by over generated taxi data takes in the page
// (the engine's own elapsed time and the wall time seen by the page), for notes and
// benchmarks. Usage: node measure-groupby.mjs ROWS
import path from 'node:path';
import { startServer, launch, openPage, runSql, readResult, generateTaxi } from './harness.mjs';

const rows = Number(process.argv[2] ?? 5_000_000);
const dir = generateTaxi(rows);
const server = await startServer();
const browser = await launch();
try {
  const page = await openPage(browser, server.url);
  await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'yellow'));
  await page.locator('[data-testid=table-item][data-table="yellow"]').waitFor({ timeout: 120_000 });
  const sql = 'SELECT payment_type, count(*) AS trips, sum(total_amount) AS revenue, avg(trip_distance) AS distance FROM yellow GROUP BY payment_type ORDER BY payment_type';
  for (let run = 1; run <= 3; run++) {
    const start = Date.now();
    await runSql(page, sql);
    const wall = Date.now() - start;
    const elapsed = await page.getByTestId('result-elapsed').textContent();
    const shown = await readResult(page);
    console.log(`run ${run}: engine ${elapsed.trim()}, page wall ${wall} ms, ${shown.rows.length} groups`);
  }
} finally {
  await browser.close();
  server.stop();
}
