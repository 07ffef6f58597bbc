// Bundled once per DuckDB-WASM version (esbuild aliases `duckdb` to it), so the bench
// page needs no import map for the Apache Arrow build each version brings.
export * from 'duckdb';
