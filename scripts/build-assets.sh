#!/usr/bin/env bash
# Build the front-end assets that are committed under goatkit/static/:
#   css/gotrs.css           Tailwind, from goatkit/static/src/app.css (minified)
#   vendor/htmx.min.js      copied from the htmx.org package
#   vendor/alpine.min.js    copied from the @alpinejs/csp package (Alpine's CSP build)
#   vendor/inter/*.woff2    Inter, Latin and Latin Extended, from @fontsource-variable/inter
# and, outside goatkit/static/, the JavaScript parser of the lambda sandbox (run inside its V8 workers, never served):
#   goatkit/lambdas/vendor/acorn.js   copied from the acorn package (dist/acorn.js)
# Versions are pinned in package.json / package-lock.json. Idempotent: re-running with the same lock file gives the
# same files. Needs node >= 20 and npm, and access to the npm registry the first time.
#
#   scripts/build-assets.sh           build and copy
#   scripts/build-assets.sh --check   exit 1 if the committed CSS or vendor files differ from a fresh build
set -euo pipefail

cd "$(dirname "$0")/.."
STATIC=goatkit/static
LAMBDAS=goatkit/lambdas
CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

if (( CHECK )); then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/css"
  npx --no-install tailwindcss -i "$STATIC/src/app.css" -o "$tmp/css/gotrs.css" --minify 2>/dev/null
  stale=0
  for pair in "$tmp/css/gotrs.css:$STATIC/css/gotrs.css" \
              "node_modules/htmx.org/dist/htmx.min.js:$STATIC/vendor/htmx.min.js" \
              "node_modules/@alpinejs/csp/dist/cdn.min.js:$STATIC/vendor/alpine.min.js" \
              "node_modules/acorn/dist/acorn.js:$LAMBDAS/vendor/acorn.js"; do
    if ! cmp -s "${pair%%:*}" "${pair#*:}"; then
      echo "stale: ${pair#*:}" >&2
      stale=1
    fi
  done
  (( stale )) && { echo "run scripts/build-assets.sh and commit the result" >&2; exit 1; }
  echo "assets are up to date"
  exit 0
fi

npx --no-install tailwindcss -i "$STATIC/src/app.css" -o "$STATIC/css/gotrs.css" --minify

mkdir -p "$STATIC/vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$STATIC/vendor/htmx.min.js"
cp node_modules/@alpinejs/csp/dist/cdn.min.js "$STATIC/vendor/alpine.min.js"
mkdir -p "$STATIC/vendor/inter"
for subset in latin latin-ext; do
  cp "node_modules/@fontsource-variable/inter/files/inter-$subset-wght-normal.woff2" "$STATIC/vendor/inter/"
done
cp node_modules/@fontsource-variable/inter/LICENSE "$STATIC/vendor/inter/LICENSE"
mkdir -p "$LAMBDAS/vendor"
cp node_modules/acorn/dist/acorn.js "$LAMBDAS/vendor/acorn.js"

version() { node -p "require('./node_modules/$1/package.json').version"; }
echo "built $STATIC/css/gotrs.css ($(wc -c < "$STATIC/css/gotrs.css") bytes);" \
  "htmx $(version htmx.org), alpine csp $(version @alpinejs/csp), tailwindcss $(version tailwindcss)," \
  "inter $(version @fontsource-variable/inter), acorn $(version acorn)"
