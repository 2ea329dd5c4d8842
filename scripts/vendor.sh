#!/usr/bin/env bash
# Vendor front-end libraries into app/static/vendor/ so that no page loads anything from a CDN
# (deployments run on closed government networks).
#
# For each library below: `npm pack` downloads the exact pinned tarball from the npm registry
# (npm checks it against the registry's sha512 integrity), the listed files are copied into
# app/static/vendor/<dir>/ together with the package's licence file, and VERSIONS.md is
# rewritten. For LIBRARIES only prebuilt dist files are used, so no dependency tree is installed and no
# package scripts run.
#
# Usage:  scripts/vendor.sh          (needs node + npm and access to the npm registry)
# Output: app/static/vendor/**       (generated; commit it, do not edit it by hand)
#
# To add or upgrade a library, add or edit ONE line in LIBRARIES and run the script again.
#
# The designer's workbench needs packages that ship no browser bundle (the bpmn-js Modeler with
# the Camunda properties panel, bpmn-js-differ). Those are pinned in scripts/vendor-build/
# (package.json + package-lock.json, installed with `npm ci --ignore-scripts`, so every transitive
# package is the locked one and checked against its integrity) and bundled by esbuild from
# scripts/vendor-build/modeler-entry.js into app/static/vendor/bpmn-modeler/. To upgrade one, edit
# package.json, run `npm install --ignore-scripts` there to refresh the lock, and run this script.
set -euo pipefail

# dir | package@version | files to copy, relative to the package root (globs allowed) | note
LIBRARIES=(
  "redoc     | redoc@2.5.4              | bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt | API docs at /api/docs (OPENAPI_REDOC_URL). 2.x on purpose: 3.x sends telemetry to otel.cloud.redocly.com and loads icons from cdn.redocly.com"
  "bpmn-js   | bpmn-js@18.31.1          | dist/bpmn-viewer.production.min.js dist/bpmn-navigated-viewer.production.min.js dist/assets/*.css | viewers only: the plain one (designer) and the navigated one (case page: zoom and pan); the bpmn.io watermark must stay visible (licence)"
  "form-js   | @bpmn-io/form-js@1.23.0  | dist/form-viewer.umd.js dist/assets/form-js.css dist/form-editor.umd.js dist/assets/form-js-editor.css dist/assets/properties-panel.css dist/assets/draggle.css | viewer, and the editor for the designer's workbench; the bpmn.io watermark must stay visible (licence)"
  "htmx      | htmx.org@2.0.11          | dist/htmx.min.js | 2.x line; 4.x is a breaking rewrite"
  "chart.js  | chart.js@4.6.1           | dist/chart.umd.js | "
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/app/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

command -v npm >/dev/null || { echo "vendor.sh: npm is required" >&2; exit 1; }

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
rows=()
integrities=()
for line in "${LIBRARIES[@]}"; do
  IFS='|' read -r dir spec files note <<<"$line"
  dir="$(trim "$dir")"; spec="$(trim "$spec")"; files="$(trim "$files")"; note="$(trim "$note")"
  pkg_dir="$WORK/$dir"
  mkdir -p "$pkg_dir"
  echo "vendor.sh: $spec -> app/static/vendor/$dir/"
  tarball="$(cd "$pkg_dir" && npm pack --silent --loglevel=error "$spec" | tail -n 1)"
  tar -xzf "$pkg_dir/$tarball" -C "$pkg_dir"
  src="$pkg_dir/package"
  mkdir -p "$VENDOR/$dir"
  for pattern in $files; do
    matches=( $src/$pattern )
    [[ -e "${matches[0]}" ]] || { echo "vendor.sh: $spec has no $pattern" >&2; exit 1; }
    cp "${matches[@]}" "$VENDOR/$dir/"
  done
  for licence in "$src"/LICEN[CS]E*; do
    [[ -e "$licence" ]] && cp "$licence" "$VENDOR/$dir/$(basename "$licence")"
  done
  meta="$(node -e '
    const p = require(process.argv[1]);
    let l = p.license || "see LICENSE";
    if (l.startsWith("SEE LICENSE IN ")) l = "custom (" + l.slice(15) + ")";
    process.stdout.write([p.name, p.version, l].join("\t"));
  ' "$src/package.json")"
  IFS=$'\t' read -r name version licence <<<"$meta"
  integrity="$(cd "$pkg_dir" && node -e '
    const c = require("crypto"), fs = require("fs");
    process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
  ' "$tarball")"
  size="$(du -sk "$VENDOR/$dir" | cut -f1)"
  shipped="$(cd "$VENDOR/$dir" && ls | grep -v -i '^licen' | tr '\n' ' ')"
  rows+=("| \`$dir/\` | $name | $version | $licence | ${size} KB | $(trim "$shipped") | $note |")
  integrities+=("- $name@$version \`$integrity\`")
done

# --- bundled from pinned npm packages (no browser bundle of their own) -----------------------------
BUILD="$WORK/vendor-build"
mkdir -p "$BUILD"
cp "$ROOT/scripts/vendor-build/package.json" "$ROOT/scripts/vendor-build/package-lock.json" \
   "$ROOT/scripts/vendor-build/modeler-entry.js" "$BUILD/"
echo "vendor.sh: npm ci in scripts/vendor-build (locked) -> app/static/vendor/bpmn-modeler/"
(cd "$BUILD" && npm ci --ignore-scripts --no-audit --no-fund --silent --loglevel=error)
OUT="$VENDOR/bpmn-modeler"
mkdir -p "$OUT/bpmn-font/css" "$OUT/bpmn-font/font"
(cd "$BUILD" && node node_modules/esbuild/bin/esbuild modeler-entry.js --bundle --minify \
   --platform=browser --format=iife --target=es2019 --legal-comments=eof --log-level=warning \
   --outfile="$OUT/bpmn-modeler.js")
cp "$BUILD/node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$OUT/"
# bpmn.css loads the icon font from ../font (the embedded variant is a data: font, which the CSP refuses)
cp "$BUILD/node_modules/bpmn-js/dist/assets/bpmn-font/css/bpmn.css" "$OUT/bpmn-font/css/"
cp "$BUILD/node_modules/bpmn-js/dist/assets/bpmn-font/font/"bpmn.woff* "$OUT/bpmn-font/font/"
for package in bpmn-js bpmn-js-properties-panel @bpmn-io/properties-panel camunda-bpmn-moddle \
               camunda-bpmn-js-behaviors bpmn-js-differ diagram-js; do
  cp "$BUILD/node_modules/$package/LICENSE" "$OUT/LICENSE.$(basename "$package")"
done
built="$(cd "$BUILD" && node -e '
  const lock = require("./package-lock.json"), top = require("./package.json").dependencies;
  process.stdout.write(Object.keys(top).filter(n => n !== "esbuild").map(n => {
    const p = lock.packages["node_modules/" + n];
    return "- " + n + "@" + p.version + " `" + p.integrity + "`";
  }).join("\n"));
')"
esbuild_version="$(cd "$BUILD" && node -e 'process.stdout.write(require("./node_modules/esbuild/package.json").version)')"
size="$(du -sk "$OUT" | cut -f1)"
rows+=("| \`bpmn-modeler/\` | bpmn-js Modeler + bpmn-js-properties-panel (Camunda 7) + bpmn-js-differ | see below | MIT and bpmn.io licences (LICENSE.* files) | ${size} KB | bpmn-modeler.js properties-panel.css bpmn-font/ | built by esbuild ${esbuild_version} from scripts/vendor-build (package-lock.json); the bpmn.io watermark must stay visible (licence) |")

{
  echo "# Vendored front-end libraries"
  echo
  echo "Generated by \`scripts/vendor.sh\` — do not edit by hand; change the LIBRARIES list in"
  echo "the script and run it again. Nothing is loaded from a CDN at run time. Each directory"
  echo "also holds the package's own licence file."
  echo
  echo "| Directory | Package | Version | Licence | Size | Files | Note |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Tarball integrity (as published on the npm registry):"
  echo
  printf '%s\n' "${integrities[@]}"
  echo
  echo "Bundled into \`bpmn-modeler/bpmn-modeler.js\` (versions and integrity from"
  echo "scripts/vendor-build/package-lock.json; their dependencies are locked there too):"
  echo
  echo "$built"
} >"$VENDOR/VERSIONS.md"

echo "vendor.sh: total $(du -sh "$VENDOR" | cut -f1) in app/static/vendor/"
