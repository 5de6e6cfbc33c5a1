#!/usr/bin/env bash
# The fuzz targets (cargo fuzz, libFuzzer) of fuzz/, built with coverage
# instrumentation and no sanitizer (safe Rust: a panic or a failed assertion
# is the finding), on the stable toolchain with RUSTC_BOOTSTRAP=1 for the
# -Z flags cargo-fuzz passes.
#   scripts/fuzz.sh                 every target briefly on its committed corpus (make test)
#   scripts/fuzz.sh TARGET RUNS     one target for RUNS executions (0: until stopped), then
#                                   its corpus minimised and packed again
#   SECONDS_EACH=10 scripts/fuzz.sh every target for that long
# Each target's corpus is committed packed, fuzz/corpus/TARGET.tar.gz (a
# minimised corpus is thousands of small files); long runs work in
# fuzz/work/TARGET, which is not committed.
set -euo pipefail
cd "$(dirname "$0")/.."

export SQLX_OFFLINE=true SQLX_OFFLINE_DIR="$PWD/.sqlx" RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
targets=(query_round_trip sigma_import syslog_frames json_scanner watchlist_csv bulk)
options=(-max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

cd fuzz
cargo fuzz build -s none -O
binary() { echo "target/x86_64-unknown-linux-gnu/release/$1"; }
unpack() { mkdir -p "$2" && tar -xzf "corpus/$1.tar.gz" -C "$2"; }
# Crashes are written here, not into the corpus.
mkdir -p artifacts

if (($# >= 1)); then
  target="$1"; runs="${2:-0}"
  work="work/$target"
  [[ -d "$work" ]] || unpack "$target" "$work"
  status=0
  cargo fuzz run -s none -O "$target" "$work" -- -runs="$runs" "${options[@]}" || status=$?
  # Keep the smallest inputs that reach every feature, each at most 1 KiB
  # (a Sigma rule is longer: 8 KiB).
  keep=1024
  [[ "$target" == sigma_import ]] && keep=8192
  minimal="$(mktemp -d)"
  "$(binary "$target")" -merge=1 -max_len="$keep" "$minimal" "$work" >/dev/null 2>&1
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$minimal" -cf - . \
    | gzip -n -9 > "corpus/$target.tar.gz"
  echo "corpus/$target.tar.gz: $(find "$minimal" -type f | wc -l) inputs"
  rm -rf "$minimal"
  exit "$status"
fi

for target in "${targets[@]}"; do
  # New inputs go to a scratch directory: a brief run changes nothing committed.
  scratch="$(mktemp -d)" corpus="$(mktemp -d)"
  unpack "$target" "$corpus"
  status=0
  cargo fuzz run -s none -O "$target" "$scratch" "$corpus" -- \
    -max_total_time="${SECONDS_EACH:-5}" "${options[@]}" > "$scratch.log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$scratch.log" | grep -oE '[0-9]+$' || echo 0)
  if ((status != 0)); then
    tail -40 "$scratch.log" >&2
    echo "fuzz target $target failed (the input is in fuzz/artifacts/$target)" >&2
    rm -rf "$scratch" "$corpus" "$scratch.log"
    exit 1
  fi
  echo "fuzz $target: $runs executions on $(find "$corpus" -type f | wc -l) corpus inputs, no finding"
  rm -rf "$scratch" "$corpus" "$scratch.log"
done
