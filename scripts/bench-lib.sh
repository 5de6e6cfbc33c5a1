# Shared by the benchmark scripts: a private embedded Postgres under $work
# and a release `vigil serve` on $port. Source it after setting vigil, work,
# port and password; `detection` (true/false) is passed to the server.

# Starts the private cluster (kept when the first argument is --keep) and
# exports its URL as VIGIL_DATABASE_URL; everything stops on exit.
bench_cluster() {
  if [[ "${1:-}" != "--keep" ]]; then
    if [[ -L "$work/postgres" ]]; then rm -rf "$(readlink -f "$work/postgres")"; fi
    rm -rf "$work"
  fi
  mkdir -p "$work"
  rm -f "$work/url"
  VIGIL_DATA_DIR="$work" VIGIL_LOG=warn "$vigil" postgres --url-file "$work/url" > "$work/postgres.out" 2>&1 &
  pg=$!
  server=""
  trap bench_cleanup EXIT
  for _ in $(seq 1 300); do [[ -s "$work/url" ]] && break; sleep 0.1; done
  url="$(cat "$work/url")"
  export VIGIL_DATABASE_URL="$url"
}

# Also removes the cluster and $work on exit: a run leaves gigabytes.
bench_discard_on_exit() {
  trap 'bench_cleanup; if [[ -L "$work/postgres" ]]; then rm -rf "$(readlink -f "$work/postgres")"; fi; rm -rf "$work"' EXIT
}

# CPU ticks (1/100 s) used so far by every Postgres process: live ones, plus
# what the postmaster collected from backends that exited.
postgres_ticks() {
  local sum=0 t
  for pid in $(pgrep -x postgres); do
    t=$(awk '{print $14+$15+$16+$17}' "/proc/$pid/stat" 2>/dev/null || echo 0); sum=$((sum + t))
  done
  echo "$sum"
}

bench_cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  kill "$pg" 2>/dev/null && wait "$pg" 2>/dev/null
  true
}

start_server() {
  VIGIL_LISTEN="127.0.0.1:$port" VIGIL_ADMIN_PASSWORD="$password" VIGIL_LOG=warn \
    VIGIL_DETECTION="${detection:-true}" VIGIL_STATIC_DIR="$PWD/dist" "$vigil" serve > "$work/server.out" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}

stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
