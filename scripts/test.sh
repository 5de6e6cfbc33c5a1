#!/usr/bin/env bash
# Everything `make test` checks, in order, against real components: formatting,
# clippy (native and wasm), unit and integration tests on a real Postgres, the
# offline query data, the release build, the fuzz targets, and the browser
# tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

export SQLX_OFFLINE=true
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export BUILD_GIT_COMMIT="${BUILD_GIT_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
step() { printf '\n==> %s   [%s]\n' "$*" "$(date +%T)"; }

step "formatting"
cargo fmt --all -- --check
# The fuzz crate is a workspace of its own, which `cargo fmt --all` skips.
rustfmt --edition 2024 --check fuzz/fuzz_targets/*.rs

step "shape: no import circles, SQL only in repo modules, files within size"
python3 scripts/check-shape.py

step "clippy (server and shared core, all targets)"
cargo clippy -p app -p server --all-targets --locked -- -D warnings
step "clippy (SPA and shared core for wasm32)"
cargo clippy -p app -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

step "release build of the server"
cargo build -p server --release --locked

step "test database (the embedded Postgres supervisor, as vigil runs it)"
# A new cluster each run: tests leave their per-test databases behind.
pgdir="$PWD/target/test-pg"
wipe_data_dir() {
  if [[ -L "$1/postgres" ]]; then rm -rf "$(readlink -f "$1/postgres")"; fi
  rm -rf "$1"
}
wipe_data_dir "$pgdir"
rm -f "$pgdir.url"
VIGIL_DATA_DIR="$pgdir" VIGIL_LOG=warn target/release/vigil postgres --url-file "$pgdir.url" &
pg_pid=$!
e2e_data="$PWD/target/e2e-data"
# Run as root, the clusters live in /var/lib/vigil (linked from the data
# directories): remove them on the way out, or every fresh clone leaves 2 GB.
finish() {
  kill -TERM "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null || true
  wipe_data_dir "$pgdir"
  wipe_data_dir "$e2e_data"
}
trap finish EXIT
for _ in $(seq 1 600); do
  [[ -s "$pgdir.url" ]] && break
  kill -0 $pg_pid 2>/dev/null || { echo "the test database did not start" >&2; exit 1; }
  sleep 0.1
done
TEST_DATABASE_URL="$(cat "$pgdir.url")"
export TEST_DATABASE_URL

step "unit and integration tests"
cargo test -p app -p server -p frontend --locked

step "offline query data (.sqlx) matches the code and migrations"
scripts/check-sqlx.sh

step "fuzz targets, briefly, on their committed corpora (fuzz/, libFuzzer)"
scripts/fuzz.sh

step "SPA build (wasm)"
scripts/build-spa.sh

step "the published API under generated inputs (schemathesis against the release binary)"
scripts/schemathesis.sh

step "browser tests (Playwright in /usr/bin/chromium against the release binary)"
# A fresh data directory, so the server initialises a new embedded Postgres;
# a cluster relocated out of it (when run as root) is removed too.
wipe_data_dir "$e2e_data"
mkdir -p "$e2e_data"
(cd end2end && E2E_VIGIL_DATA_DIR="$e2e_data" npx playwright test)

step "all checks passed"
