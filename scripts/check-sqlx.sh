#!/usr/bin/env bash
# Fails when .sqlx/ (the offline query data the build uses) is out of date with
# the queries in the code and the migrations. Needs TEST_DATABASE_URL (a server
# whose user may create databases) and psql.  --write updates .sqlx/ instead.
#
# The migrations are applied with psql rather than `vigil migrate`, because the
# binary itself needs up-to-date query data to compile.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${TEST_DATABASE_URL:?TEST_DATABASE_URL must point at a Postgres server}"
db="sqlx_check_$$"
base="${TEST_DATABASE_URL%%\?*}"
query="${TEST_DATABASE_URL#"$base"}"
server="${base%/*}"
url="$server/$db$query"

psql -q "$server/postgres$query" -c "CREATE DATABASE $db"
trap 'psql -q "$server/postgres$query" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
# The table sqlx keeps its migration history in, as sqlx creates it; some queries read it.
psql -q -v ON_ERROR_STOP=1 "$url" -c "CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
for migration in migrations/*.up.sql; do
  psql -q -v ON_ERROR_STOP=1 --single-transaction "$url" -f "$migration" >/dev/null
done

fresh=$(mktemp -d)
touch server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$fresh" DATABASE_URL="$url" cargo check -p server --tests --quiet
if [[ "${1:-}" == --write ]]; then
  rm -rf .sqlx && mkdir .sqlx && cp "$fresh"/*.json .sqlx/
  echo ".sqlx updated ($(ls .sqlx | wc -l) queries)"
elif ! diff -r -q .sqlx "$fresh" >/dev/null; then
  diff -r -q .sqlx "$fresh" || true
  echo ".sqlx is out of date: run 'make sqlx-prepare' and commit it" >&2
  exit 1
else
  echo ".sqlx is up to date ($(ls .sqlx | wc -l) queries)"
fi
rm -rf "$fresh"
