// DuckDB-WASM in the benchmark: one database per page, its EH bundle (one thread: the
// multi-threaded bundle needs cross-origin isolation), data added one of four ways,
// then `bench.time(sql)` runs a query and says how long it took.
const version = new URLSearchParams(location.search).get('v');
const duckdb = await import(`./out/duckdb-${version}.mjs`);
const dist = new URL(`./node_modules/duckdb-wasm-${version}/dist/`, location.href).href;
const worker = new Worker(`${dist}duckdb-browser-eh.worker.js`);
const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
await db.instantiate(`${dist}duckdb-eh.wasm`);
const conn = await db.connect();

async function bytes(url) {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

/** Arrow values as JSON: BigInts as numbers, timestamps as ISO text without a zone. */
function plain(value) {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString().replace('Z', '');
  return value;
}

window.bench = {
  version: duckdb.PACKAGE_VERSION ?? version,
  /** Parquet files held in DuckDB's memory. */
  async registerBuffers(files) {
    for (const { name, url } of files) await db.registerFileBuffer(name, await bytes(url));
  },
  /** Parquet files read over HTTP range requests. */
  async registerUrls(files) {
    for (const { name, url } of files) {
      await db.registerFileURL(name, new URL(url, location.href).href, duckdb.DuckDBDataProtocol.HTTP, false);
    }
  },
  /** The files picked in the page's file input, read through their File handles. */
  async registerHandles() {
    for (const file of document.getElementById('files').files) {
      await db.registerFileHandle(file.name, file, duckdb.DuckDBDataProtocol.BROWSER_FILEREADER, true);
    }
  },
  /** Tables loaded from Arrow IPC streams (no Parquet reader involved). */
  async loadArrow(tables) {
    for (const { name, url } of tables) {
      await conn.insertArrowFromIPCStream(await bytes(url), { name, create: true });
    }
  },
  async exec(sql) {
    await conn.query(sql);
  },
  async time(sql) {
    const start = performance.now();
    const table = await conn.query(sql);
    const ms = performance.now() - start;
    const columns = table.schema.fields.map((f) => f.name);
    const rows = table.toArray().map((row) => columns.map((c) => plain(row[c])));
    return { ms, columns, rows };
  },
};
window.benchReady = true;
