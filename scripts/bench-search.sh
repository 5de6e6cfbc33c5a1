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

if [[ "$reuse" != "--reuse" ]]; then
  if [[ -L "$work/postgres" ]]; then rm -rf "$(readlink -f "$work/postgres")"; fi
  rm -rf "$work"
fi
mkdir -p "$work"
rm -f "$work/url"
VIGIL_DATA_DIR="$work" VIGIL_LOG=warn "$vigil" postgres --url-file "$work/url" > "$work/postgres.out" 2>&1 &
pg=$!
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  kill "$pg" 2>/dev/null && wait "$pg" 2>/dev/null
  true
}
trap cleanup EXIT
for _ in $(seq 1 300); do [[ -s "$work/url" ]] && break; sleep 0.1; done
url="$(cat "$work/url")"
export VIGIL_DATABASE_URL="$url"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$reuse" != "--reuse" ]]; then
  "$vigil" bench load --events "$events" --days 7 2>&1 | tail -1
  psql -q "$url" -c "VACUUM ANALYZE events"
fi
psql -qtA "$url" -c "SELECT 'stored: ' || count(*) || ' events, ' ||
    pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'events'::regclass)) ||
    ' on disk; last 24 h: ' || (SELECT count(*) FROM events WHERE ts >= now() - interval '24 hours') FROM events"

VIGIL_LISTEN="127.0.0.1:$port" VIGIL_ADMIN_PASSWORD="$password" VIGIL_LOG=warn \
  VIGIL_STATIC_DIR="$PWD/dist" "$vigil" serve > "$work/server.out" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
BENCH_PASSWORD="$password" "$vigil" bench search --url "http://127.0.0.1:$port" --runs 20
