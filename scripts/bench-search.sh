#!/usr/bin/env bash
# The search benchmark of docs/benchmarks.md, on a private embedded cluster:
# load EVENTS generated events over 7 days by binary COPY, analyse, then time
# each query of the search issue 20 times (warm) through the HTTP API.
# Needs `make build` first. The store is kept in target/bench-search for reruns
# (pass --reuse to skip loading).
#   scripts/bench-search.sh [EVENTS] [--reuse]
set -euo pipefail
cd "$(dirname "$0")/.."

events="${1:-10000000}"
reuse="${2:-}"
vigil="$PWD/target/release/vigil"
work="$PWD/target/bench-search"
port=18182
password="bench-admin-password"

source scripts/bench-lib.sh
if [[ "$reuse" == "--reuse" ]]; then bench_cluster --keep; else bench_cluster; fi

machine
if [[ "$reuse" != "--reuse" ]]; then
  "$vigil" bench load --events "$events" --days 7 2>&1 | tail -1
  psql -q "$url" -c "VACUUM ANALYZE events"
fi
psql -qtA "$url" -c "SELECT 'stored: ' || count(*) || ' events, ' ||
    pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'events'::regclass)) ||
    ' on disk; last 24 h: ' || (SELECT count(*) FROM events WHERE ts >= now() - interval '24 hours') FROM events"

start_server
BENCH_PASSWORD="$password" "$vigil" bench search --url "http://127.0.0.1:$port" --runs 20
