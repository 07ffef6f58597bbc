// What the benchmark's scripts (run.mjs, ab.mjs, prof.mjs) share: their `--key=value`
// arguments, medians, and the generated data they run on.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH, '..');
export const OUT = path.join(BENCH, 'out');

/** The command line's `--key=value` (or bare `--flag`, true) arguments. */
export const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? true];
}));

export const log = (...m) => console.error('[bench]', ...m);

/** Bytes as the reports print them: `104.6 MB`. */
export const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The taxi data of `rows` rows over `months` months, made by `kiln gen` the first time. */
export function generate(rows, months, kiln = process.env.KILN_BIN ?? path.join(ROOT, 'target/debug/kiln')) {
  return madeOnce(path.join(OUT, 'data', `${rows}`), `${rows.toLocaleString('en')} rows`, (dir) =>
    execFileSync(kiln, ['gen', 'taxi', '--rows', String(rows), '--months', String(months), '--out', dir]));
}

/** `dir` as `make(dir)` writes it, made only when no earlier run finished it (`.done`). */
function madeOnce(dir, what, make) {
  if (!existsSync(path.join(dir, '.done'))) {
    log(`generating ${what} into ${dir}`);
    make(dir);
    writeFileSync(path.join(dir, '.done'), '');
  }
  return dir;
}

/** TPC-H at scale factor `scale` made by `tpchgen-cli` (scripts/lib.sh installs it) the
 * first time: one folder per table, each of `parts` Parquet files. */
export function generateTpch(scale, parts = scale >= 1 ? 4 : 1) {
  return madeOnce(path.join(OUT, 'data', `tpch-sf${scale}`), `TPC-H at scale factor ${scale}`, (dir) =>
    execFileSync(process.env.TPCHGEN ?? 'tpchgen-cli', ['parquet', '--scale-factor', String(scale),
      '--parts', String(parts), '--output-dir', dir, '--no-progress'], { stdio: ['ignore', 'ignore', 'inherit'] }));
}
