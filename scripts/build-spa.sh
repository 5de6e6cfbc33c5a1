#!/usr/bin/env bash
# Builds the single-page app into dist/: wasm (size-optimised profile), its JS
# glue, index.html, the bootstrap script and the stylesheet, each also gzipped
# so the server can send precompressed files.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${SPA_PROFILE:-wasm-release}"
out="${SPA_OUT:-dist}"

cargo build -p frontend --target wasm32-unknown-unknown --profile "$profile"
mkdir -p "$out"
wasm-bindgen "target/wasm32-unknown-unknown/$profile/frontend.wasm" \
  --out-dir "$out" --target web --no-typescript \
  --remove-name-section --remove-producers-section
cp frontend/index.html frontend/boot.js "$out/"
cat style/*.css > "$out/vigil.css"
for file in "$out"/*.html "$out"/*.js "$out"/*.css "$out"/*.wasm; do
  gzip -9 -n -k -f "$file"
done
