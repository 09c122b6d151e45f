#!/bin/sh
# Vendor the browser libraries the web pages use (no CDN anywhere): fetch the npm packages
# with `npm pack` into a temporary directory and copy their built files into
# server/spacekg/static/vendor/<pkg>/. Re-run after changing a version below.
set -eu
YASGUI_VERSION=4.6.2
CYTOSCAPE_VERSION=3.34.4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENDOR="$ROOT/server/spacekg/static/vendor"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack --silent "@zazuko/yasgui@$YASGUI_VERSION" "cytoscape@$CYTOSCAPE_VERSION" >/dev/null
mkdir yasgui cytoscape
tar xzf "zazuko-yasgui-$YASGUI_VERSION.tgz" -C yasgui
tar xzf "cytoscape-$CYTOSCAPE_VERSION.tgz" -C cytoscape
rm -rf "$VENDOR/yasgui" "$VENDOR/cytoscape"
mkdir -p "$VENDOR/yasgui" "$VENDOR/cytoscape"
cp yasgui/package/build/yasgui.min.js yasgui/package/build/yasgui.min.css "$VENDOR/yasgui/"
cp cytoscape/package/dist/cytoscape.min.js cytoscape/package/LICENSE "$VENDOR/cytoscape/"
# the yasgui tarball carries no LICENSE file; its package.json says MIT
node -e 'const p=require("./yasgui/package/package.json");console.log(p.license)' > "$VENDOR/yasgui/LICENSE.txt"
cat > "$VENDOR/VENDOR.md" <<MD
# Vendored browser libraries

Installed by \`scripts/vendor-assets.sh\` (\`npm pack\` into a temporary directory, built files
copied here). Served from \`/static/vendor/\`; no page loads anything from a CDN.

| directory | npm package | version | licence | files |
|---|---|---|---|---|
| yasgui/ | @zazuko/yasgui | $YASGUI_VERSION | MIT (Triply, Zazuko) | yasgui.min.js, yasgui.min.css |
| cytoscape/ | cytoscape | $CYTOSCAPE_VERSION | MIT (The Cytoscape Consortium) | cytoscape.min.js, LICENSE |
MD
echo "vendored into $VENDOR"
