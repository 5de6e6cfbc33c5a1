#!/usr/bin/env bash
# The ingest benchmark of docs/benchmarks.md, on a private embedded cluster:
#   (a) Vigil's sustained HTTP bulk ingest of N loadgen events, normalised and durable;
#   (b) raw binary COPY of the same rows into a copy of `events` with the same indexes.
# Runs both RUNS times, interleaved, and prints every figure. Then one run at
# twice the measured rate, to show what overload does. Needs `make build` first.
#   scripts/bench-ingest.sh [EVENTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

events="${1:-1000000}"
runs="${2:-3}"
# The ingest path alone by default; DETECTION=true runs every built-in rule
# on the same cores as well, as a production server does.
detection="${DETECTION:-false}"
vigil="$PWD/target/release/vigil"
work="$PWD/target/bench-ingest"
port=18181
password="bench-admin-password"

source scripts/bench-lib.sh
bench_cluster
bench_discard_on_exit
# CPU ticks used so far by the server and by Postgres.
cpu_seconds() {
  echo "$(awk '{print $14+$15}' "/proc/$server/stat") $(postgres_ticks)"
}

start_server
jar="$work/cookies"
curl -sf -c "$jar" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/v1/auth/login" >/dev/null
key=$(curl -sf -b "$jar" -H 'content-type: application/json' -d '{"name":"bench","scopes":["ingest"]}' \
  "http://127.0.0.1:$port/api/v1/api-keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')

machine
echo "events per run: $events over 7 days; runs: $runs; detection: $detection"
for run in $(seq 1 "$runs"); do
  psql -q "$url" -c "TRUNCATE events" -c "CHECKPOINT"
  stop_server; start_server
  read -r server_before pg_before < <(cpu_seconds)
  line=$("$vigil" loadgen --url "http://127.0.0.1:$port" --key "$key" --events "$events" \
    --connections 8 --batch 1000 --days 7 --seed "$run" 2>&1 | tail -1)
  read -r server_after pg_after < <(cpu_seconds)
  echo "run $run (a) vigil http: $line"
  # Ticks are 1/100 s; per event in microseconds: ticks * 10^4 / events.
  awk -v s=$((server_after - server_before)) -v p=$((pg_after - pg_before)) -v n="$events" -v r="$run" \
    'BEGIN { printf "run %s (a) CPU per event: server %.1f µs, postgres %.1f µs (generation happens before the clock)\n", r, s * 1e4 / n, p * 1e4 / n }'
  rate=$(sed -E 's/.*: ([0-9]+) events\/s.*/\1/' <<<"$line")
  echo "run $run (a) server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
  psql -qtA "$url" -c "SELECT 'run $run (a) stored: ' || count(*) || ' events, ' ||
      round((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'events'::regclass)::numeric
            / greatest(count(*), 1)) || ' bytes per event on disk (heap + indexes)' FROM events"
  read -r _ pg_before < <(cpu_seconds)
  "$vigil" bench copy --events "$events" --days 7 --seed "$run" 2>&1 | tail -1 | sed "s/^/run $run (b) raw copy: /"
  # Its connections close as it exits: let Postgres reap their backends,
  # whose CPU time only then reaches the postmaster's children's total.
  sleep 2
  read -r _ pg_after < <(cpu_seconds)
  awk -v p=$((pg_after - pg_before)) -v n="$events" -v r="$run" \
    'BEGIN { printf "run %s (b) CPU per row: postgres %.1f µs (rows are generated and encoded before the clock)\n", r, p * 1e4 / n }'
done

echo "overload: offering twice the last sustained rate ($rate events/s) for about 30 s"
psql -q "$url" -c "TRUNCATE events"
stop_server; start_server
offered=$((rate * 2))
"$vigil" loadgen --url "http://127.0.0.1:$port" --key "$key" --events $((offered * 30)) \
  --connections 16 --batch 1000 --days 1 --rate "$offered" --seed 99 2>&1 | tail -1 | sed "s/^/overload: /"
echo "overload: server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
psql -qtA "$url" -c "SELECT 'overload: stored ' || count(*) || ' events' FROM events"
