#!/usr/bin/env bash
# A/B of search against an earlier build, on one store: BEFORE (a release
# `vigil` binary of the earlier commit) loads EVENTS generated events over 7
# days, then the servers of both builds answer in turn, three rounds, each
# timed by this build's `vigil bench search` (20 warm runs per query).
# Migrations newer than BEFORE knows are un-recorded between rounds so that
# it starts again (they must be idempotent, as Vigil's are).
#   scripts/bench-search-ab.sh BEFORE [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."

before="$(readlink -f "$1")"
events="${2:-2000000}"
after="$PWD/target/release/vigil"
vigil="$before"
work="$PWD/target/bench-search-ab"
port=18183
password="bench-admin-password"

source scripts/bench-lib.sh
bench_cluster
bench_discard_on_exit
machine
"$before" bench load --events "$events" --days 7 2>&1 | tail -1
psql -q "$url" -c "VACUUM ANALYZE events"
known="$(psql -qtA "$url" -c "SELECT max(version) FROM _sqlx_migrations")"
for round in 1 2 3; do
  for side in before after; do
    if [[ $side == before ]]; then vigil="$before"; else vigil="$after"; fi
    start_server
    echo "== round $round: $side"
    BENCH_PASSWORD="$password" "$after" bench search --url "http://127.0.0.1:$port" --runs 20 2>&1 | tail -12
    stop_server
    psql -q "$url" -c "DELETE FROM _sqlx_migrations WHERE version > $known" >/dev/null
  done
done
