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

// Arrow's type id of decimals (its `Type` enum), whose values come as a BigNum of 32-bit
// words holding the unscaled integer.
const DECIMAL = 7;

/** A decimal's unscaled integer as exact decimal text: 12345 at scale 2 is "123.45". */
function decimalText(value, scale) {
  const n = BigInt(String(value));
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  const point = digits.length - scale;
  return `${n < 0n ? '-' : ''}${digits.slice(0, point)}${scale ? `.${digits.slice(point)}` : ''}`;
}

/** Arrow values as JSON: BigInts as numbers, decimals as their text, timestamps as ISO
 * text without a zone. */
function plain(value, type) {
  if (value === null || value === undefined) return null;
  if (type?.typeId === DECIMAL) return decimalText(value, type.scale);
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
    const { fields } = table.schema;
    const columns = fields.map((f) => f.name);
    const rows = table.toArray().map((row) => fields.map((f) => plain(row[f.name], f.type)));
    return { ms, columns, rows };
  },
};
window.benchReady = true;
