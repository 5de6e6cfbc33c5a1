#!/usr/bin/env bash
# The detection latency benchmark of docs/benchmarks.md: event → alert time
# under loadgen's mixed load at a fixed rate, with every built-in rule
# enabled (the MozDef and Sigma starter packs) plus one query rule that fires
# on probe events sent ten times a second beside the load.
#
# Latency of an alert = its created_at − the ingested_at of the event that
# completed it (both stamped by the server's clock): the wait for the
# batch's commit, the engine's wake-up, reading, evaluating and storing.
# Runs RUNS times on a private embedded cluster. Needs `make build` first.
#   scripts/bench-detection.sh [RATE] [SECONDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

rate="${1:-10000}"
seconds="${2:-60}"
runs="${3:-3}"
vigil="$PWD/target/release/vigil"
work="$PWD/target/bench-detection"
port=18182
password="bench-admin-password"

source scripts/bench-lib.sh
bench_cluster
bench_discard_on_exit

start_server
base="http://127.0.0.1:$port"
jar="$work/cookies"
curl -sf -c "$jar" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/api/v1/auth/login" >/dev/null
key=$(curl -sf -b "$jar" -H 'content-type: application/json' -d '{"name":"bench","scopes":["ingest"]}' \
  "$base/api/v1/api-keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')
curl -sf -b "$jar" -H 'content-type: application/json' -o /dev/null \
  -d '{"slug":"latency_probe","name":"Latency probe","severity":"informational","kind":"query","query":"event.action:latency_probe"}' \
  "$base/api/v1/rules"
rules=$(curl -sf -b "$jar" "$base/api/v1/detection/status" | sed -E 's/.*"rules_enabled":([0-9]+).*/\1/')

machine
echo "rate: $rate events/s for $seconds s; enabled rules: $rules; runs: $runs"
for run in $(seq 1 "$runs"); do
  psql -q "$url" -c "TRUNCATE events, event_batches" -c "DELETE FROM alerts" -c "CHECKPOINT"
  stop_server; start_server
  (
    while true; do
      curl -s -o /dev/null -H "authorization: Bearer $key" -H 'content-type: application/json' \
        -d '{"message":"latency probe","event":{"action":"latency_probe"}}' "$base/api/v1/events" || true
      sleep 0.1
    done
  ) &
  probes=$!
  line=$("$vigil" loadgen --url "$base" --key "$key" --events $((rate * seconds)) --rate "$rate" \
    --connections 4 --batch 200 --days 1 --seed "$run" 2>&1 | tail -1)
  kill "$probes"; wait "$probes" 2>/dev/null || true
  # Let the engine finish what was sent.
  for _ in $(seq 1 300); do
    pending=$(curl -sf -b "$jar" "$base/api/v1/detection/status" | sed -E 's/.*"pending_events":([0-9]+).*/\1/')
    [[ "$pending" == 0 ]] && break; sleep 0.2
  done
  echo "run $run load: $line"
  echo "run $run server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
  psql -qtA "$url" -c "
    WITH latency AS (
      SELECT a.rule_slug = 'latency_probe' AS probe,
             extract(epoch FROM a.created_at - e.ingested_at) AS secs
      FROM alerts a
      JOIN events e ON e.id = a.event_ids[cardinality(a.event_ids)]
                   AND e.ts = a.event_times[cardinality(a.event_times)]
      WHERE cardinality(a.event_ids) > 0)
    SELECT 'run $run ' || CASE WHEN probe THEN 'probe alerts' ELSE 'pack alerts ' END || ': '
           || count(*) || ' alerts, latency p50 '
           || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)::numeric * 1000) || ' ms, p95 '
           || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY secs)::numeric * 1000) || ' ms, p99 '
           || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY secs)::numeric * 1000) || ' ms, max '
           || round(max(secs)::numeric * 1000) || ' ms'
    FROM latency GROUP BY probe ORDER BY probe DESC"
done
