#!/usr/bin/env bash
# Re-vendor the GraphiQL assets that okrql serves at /graphiql/static/.
#
# Why this exists: strawberry's own GraphiQL page loads React, GraphiQL and the
# explorer plugin from unpkg.com, which fails offline and behind firewalls. okrql
# serves byte-identical copies of the same npm files instead (see api/graphiql.py).
#
# This is a maintainer tool, run by hand when upgrading; CI must never run it
# (it needs the npm registry and rewrites committed files). It:
#   1. `npm pack`s the pinned package versions into a temp dir OUTSIDE the repo,
#   2. checks each dist file against a pinned sha384 (the same values strawberry
#      0.341's graphiql.html uses, so a tampered or re-published tarball is caught),
#   3. copies the files here under versioned names (the server sends
#      `Cache-Control: immutable`, so a new version must get a new URL),
#   4. copies the LICENSE texts and regenerates MANIFEST.json.
#
# To upgrade: change a version and its expected hash below (set the hash to
# "sha384-UNPINNED" to print the new value, then review and pin it), run this
# script, then update _STYLESHEETS/_SCRIPTS in api/graphiql.py if names changed.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
    echo "vendor.sh: refusing to run in CI (it fetches from npm and rewrites vendored files)" >&2
    exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${VENDOR_TMP:-/tmp/graphiql-vendor}"
case "$work" in
    "$here"/* | "$here") echo "vendor.sh: VENDOR_TMP must be outside the repo" >&2; exit 1 ;;
esac
rm -rf "$work/unpacked"
mkdir -p "$work/unpacked"

sri() { echo "sha384-$(openssl dgst -sha384 -binary "$1" | openssl base64 -A)"; }

# package@version | file inside the tarball | name served by okrql | expected integrity
assets=(
    "react@18.2.0|umd/react.production.min.js|react-18.2.0.production.min.js|sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"
    "react-dom@18.2.0|umd/react-dom.production.min.js|react-dom-18.2.0.production.min.js|sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"
    "graphiql@3.8.3|graphiql.min.css|graphiql-3.8.3.min.css|sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"
    "graphiql@3.8.3|graphiql.min.js|graphiql-3.8.3.min.js|sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"
    "@graphiql/plugin-explorer@1.0.2|dist/style.css|graphiql-plugin-explorer-1.0.2.css|sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"
    "@graphiql/plugin-explorer@1.0.2|dist/index.umd.js|graphiql-plugin-explorer-1.0.2.umd.js|sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"
)
# package@version | LICENSE file in the tarball | name under LICENSES/
# The explorer plugin tarball has no LICENSE of its own: it is MIT and lives in
# the graphql/graphiql monorepo (covered by graphiql's LICENSE); its UMD bundle
# inlines graphiql-explorer, whose LICENSE is copied as well.
licenses=(
    "react@18.2.0|LICENSE|react.LICENSE"
    "react-dom@18.2.0|LICENSE|react-dom.LICENSE"
    "graphiql@3.8.3|LICENSE|graphiql.LICENSE"
    "graphiql-explorer@0.9.0|LICENSE|graphiql-explorer.LICENSE"
)

unpack() { # $1 = package@version -> prints the unpacked package dir
    local spec="$1" dir="$work/unpacked/${1//[@\/]/_}"
    if [[ ! -d "$dir" ]]; then
        mkdir -p "$dir"
        local tgz
        tgz="$(cd "$work" && npm pack --silent "$spec" | tail -n1)"
        tar -xzf "$work/$tgz" -C "$dir"
    fi
    echo "$dir/package"
}

# Drop previously vendored assets (versioned names would otherwise pile up).
find "$here" -maxdepth 1 -type f \( -name '*.js' -o -name '*.css' \) -delete
rm -rf "$here/LICENSES"
mkdir -p "$here/LICENSES"

manifest_rows=()
for row in "${assets[@]}"; do
    IFS='|' read -r spec src dest expected <<<"$row"
    pkg="$(unpack "$spec")"
    actual="$(sri "$pkg/$src")"
    if [[ "$actual" != "$expected" ]]; then
        echo "vendor.sh: $spec $src: expected $expected, got $actual" >&2
        exit 1
    fi
    cp "$pkg/$src" "$here/$dest"
    manifest_rows+=("$dest|$spec|$src|$actual|$(wc -c <"$here/$dest" | tr -d ' ')")
done

for row in "${licenses[@]}"; do
    IFS='|' read -r spec src dest <<<"$row"
    pkg="$(unpack "$spec")"
    cp "$pkg/$src" "$here/LICENSES/$dest"
done

cat >"$here/LICENSES/README.md" <<'EOF'
# Third-party licenses of the vendored GraphiQL assets

All files in `api/static/graphiql/` other than `MANIFEST.json`, `vendor.sh` and
this directory are unmodified copies of npm package files (see `MANIFEST.json`
for package@version, source path and sha384). Every package is MIT-licensed:

| Served file(s)                                   | npm package                       | License text               |
|--------------------------------------------------|-----------------------------------|----------------------------|
| react-18.2.0.production.min.js                   | react@18.2.0                      | react.LICENSE              |
| react-dom-18.2.0.production.min.js               | react-dom@18.2.0                  | react-dom.LICENSE          |
| graphiql-3.8.3.min.js, graphiql-3.8.3.min.css    | graphiql@3.8.3                    | graphiql.LICENSE           |
| graphiql-plugin-explorer-1.0.2.{umd.js,css}      | @graphiql/plugin-explorer@1.0.2   | graphiql.LICENSE (1)       |
| (bundled inside the explorer plugin's UMD build) | graphiql-explorer@0.9.0           | graphiql-explorer.LICENSE  |

(1) The plugin's tarball ships no LICENSE file; its package.json declares MIT and
it is published from the graphql/graphiql monorepo, whose LICENSE is graphiql's.

`graphiql-3.8.3.min.js` is upstream's webpack bundle and also contains graphiql's
own dependencies (@graphiql/react, @graphiql/toolkit, graphql-js, CodeMirror 5,
graphql-ws, Radix UI, markdown-it, framer-motion, ...; the `node_modules/...`
module ids in the bundle list them all). Upstream ships no combined notice file
for them and the bundle keeps only some of their headers. They are permissively
licensed (MIT, plus e.g. BSD-2-Clause for `entities` and 0BSD for `tslib`); if a
complete third-party notice is needed for redistribution, generate it from
graphiql@3.8.3's installed dependency tree (e.g. with a license-listing tool).
EOF

printf '%s\n' "${manifest_rows[@]}" | python3 -c '
import json, sys
assets = []
for line in sys.stdin.read().splitlines():
    file, package, source, integrity, size = line.split("|")
    assets.append({"file": file, "package": package, "source": source,
                   "integrity": integrity, "bytes": int(size), "license": "MIT"})
json.dump({"generated_by": "vendor.sh", "assets": assets}, sys.stdout, indent=2)
sys.stdout.write("\n")
' >"$here/MANIFEST.json"

du -ch "$here"/*.js "$here"/*.css | tail -n1
echo "vendor.sh: done; review with: git diff --stat -- $here"
