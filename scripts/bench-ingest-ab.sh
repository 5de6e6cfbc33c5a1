#!/usr/bin/env bash
# A/B of ingest CPU cost: for each variant, a fresh `vigil serve` on one
# private cluster takes EVENTS loadgen events (CONNECTIONS, default 8, of 1,000 per
# request); prints server and Postgres CPU per event and the rate. Variants
# are environment assignments for the server (`VIGIL_INGEST_WRITERS=2`,
# `MIMALLOC_ALLOW_THP=0`) or `BIN=/path/to/vigil` for another build; rounds
# interleave them. Needs `make build` first.
#   EVENTS=400000 ROUNDS=3 CONNECTIONS=8 scripts/bench-ingest-ab.sh VARIANT...
set -euo pipefail
cd "$(dirname "$0")/.."

vigil="$PWD/target/release/vigil"
work="$PWD/target/bench-ab"
port=18183
password="bench-admin-password"
events="${EVENTS:-400000}"
rounds="${ROUNDS:-3}"
(($#)) || { echo "usage: $0 VARIANT..." >&2; exit 2; }

source scripts/bench-lib.sh
bench_cluster
bench_discard_on_exit

machine
for round in $(seq 1 "$rounds"); do
  for variant in "$@"; do
    bin="$vigil"; assignment=()
    if [[ "$variant" == BIN=* ]]; then bin="${variant#BIN=}"; else assignment=("$variant"); fi
    # Each build gets the schema its own migrations make (an older build
    # refuses a database migrated further than it knows).
    psql -q "$url" -c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public" 2>/dev/null
    VIGIL_LOG=warn "$bin" migrate >/dev/null
    psql -q "$url" -c "CHECKPOINT"
    env "${assignment[@]}" VIGIL_LISTEN="127.0.0.1:$port" VIGIL_ADMIN_PASSWORD="$password" VIGIL_LOG=warn \
      VIGIL_DETECTION=false VIGIL_STATIC_DIR="$PWD/dist" "$bin" serve > "$work/server.out" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
    jar="$work/cookies"
    curl -sf -c "$jar" -H 'content-type: application/json' \
      -d "{\"username\":\"admin\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/v1/auth/login" >/dev/null
    key=$(curl -sf -b "$jar" -H 'content-type: application/json' -d '{"name":"bench","scopes":["ingest"]}' \
      "http://127.0.0.1:$port/api/v1/api-keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')
    pg_before=$(postgres_ticks); server_before=$(awk '{print $14+$15}' "/proc/$server/stat")
    line=$("$vigil" loadgen --url "http://127.0.0.1:$port" --key "$key" --events "$events" \
      --connections "${CONNECTIONS:-8}" --batch 1000 --days 7 --seed "$round" 2>&1 | tail -1)
    server_after=$(awk '{print $14+$15}' "/proc/$server/stat"); pg_after=$(postgres_ticks)
    faults=$(awk '{print $10}' "/proc/$server/stat")
    rate=$(sed -E 's/.*: ([0-9]+) events\/s.*/\1/' <<<"$line")
    awk -v s=$((server_after - server_before)) -v p=$((pg_after - pg_before)) -v n="$events" \
      -v r="$round" -v v="$variant" -v rate="$rate" -v f="$faults" \
      'BEGIN { printf "round %s  %-34s server %.2f µs/event  postgres %.2f µs/event  %s events/s  %.3f page faults/event\n", r, v, s * 1e4 / n, p * 1e4 / n, rate, f / n }'
    stop_server
  done
done
