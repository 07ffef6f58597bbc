# Shared setup for Kiln's scripts: each `ensure_*` installs what is missing, from the
# package registries only (crates.io, Debian, PyPI, npm), and does nothing when present.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  # The downloaded .debs are of no further use, and CI's disk is not large.
  as_root apt-get clean
}

# The wasm target, and a C toolchain that can compile zstd for wasm32 (zstd-sys).
ensure_wasm_toolchain() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
    log "installing clang and lld (zstd is C code, compiled for wasm32)"
    apt_install clang lld
  fi
}

# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want from crates.io"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_chromium() {
  if ! [ -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
}

# PySpark (an oracle for the PySpark tests) runs on a JVM: Java 17 or newer.
ensure_java() {
  if ! command -v java >/dev/null; then
    log "installing Debian's Java runtime for PySpark"
    apt_install openjdk-17-jre-headless
  fi
}

# A venv with the independent oracles (DuckDB, pyarrow, PySpark) and pytest.
ensure_python() {
  local venv="$ROOT/.venv"
  if ! [ -x "$venv/bin/python" ]; then
    log "creating the Python venv for the oracles"
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c 'import duckdb, pyarrow, pyspark, pytest' 2>/dev/null; then
    log "installing duckdb, pyarrow, pyspark and pytest from PyPI"
    "$venv/bin/pip" install -q --no-cache-dir -r "$ROOT/tests/requirements.txt"
  fi
}

# TPC-H data for the right-answers tests and the benchmark, made where it is needed.
# tpchgen-cli comes as a prebuilt wheel from PyPI into the venv: `cargo install` of it
# was a third cargo build, about 10 minutes of every cold CI run.
TPCHGEN_VERSION=4.0.0
export TPCHGEN="$ROOT/.venv/bin/tpchgen-cli"
ensure_tpchgen() {
  ensure_python
  if ! [ -x "$TPCHGEN" ] || [ "$("$TPCHGEN" --version | awk '{print $2}')" != "$TPCHGEN_VERSION" ]; then
    log "installing tpchgen-cli $TPCHGEN_VERSION from PyPI"
    "$ROOT/.venv/bin/pip" install -q --no-cache-dir "tpchgen-cli==$TPCHGEN_VERSION"
  fi
}

ensure_node_modules() {
  # Every package the lock names must be installed: a checkout that gained one since its
  # last install (axe-core) installs again.
  local lock="$ROOT/tests/browser/package-lock.json" installed="$ROOT/tests/browser/node_modules/.package-lock.json"
  if ! [ -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
    log "installing the browser tests' npm packages"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
