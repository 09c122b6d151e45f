#!/bin/sh
# Vendor the browser libraries the web pages use (no CDN anywhere): fetch the npm packages
# with `npm pack` into a temporary directory and copy their built files into
# server/spacekg/static/vendor/<pkg>/. Re-run after changing a version below.
set -eu
YASGUI_VERSION=4.6.2
CYTOSCAPE_VERSION=3.34.4
WORLD_ATLAS_VERSION=2.0.2
TOPOJSON_CLIENT_VERSION=3.1.0
D3_GEO_VERSION=3.1.2
D3_ARRAY_VERSION=3.2.5
# Mollweide (the whole globe as an ellipse, no flat poles) for the world map
D3_GEO_PROJECTION_VERSION=4.0.1
# fCoSE: a force layout that keeps nodes and their labels apart (needs cose-base, layout-base)
FCOSE_VERSION=2.2.0
COSE_BASE_VERSION=2.2.0
LAYOUT_BASE_VERSION=2.0.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENDOR="$ROOT/server/spacekg/static/vendor"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack --silent "@zazuko/yasgui@$YASGUI_VERSION" "cytoscape@$CYTOSCAPE_VERSION" \
  "world-atlas@$WORLD_ATLAS_VERSION" "topojson-client@$TOPOJSON_CLIENT_VERSION" \
  "d3-geo@$D3_GEO_VERSION" "d3-array@$D3_ARRAY_VERSION" "d3-geo-projection@$D3_GEO_PROJECTION_VERSION" "cytoscape-fcose@$FCOSE_VERSION" \
  "cose-base@$COSE_BASE_VERSION" "layout-base@$LAYOUT_BASE_VERSION" >/dev/null
mkdir yasgui cytoscape world-atlas topojson-client d3-geo d3-array d3-geo-projection fcose cose-base layout-base
tar xzf "world-atlas-$WORLD_ATLAS_VERSION.tgz" -C world-atlas
tar xzf "topojson-client-$TOPOJSON_CLIENT_VERSION.tgz" -C topojson-client
tar xzf "d3-geo-$D3_GEO_VERSION.tgz" -C d3-geo
tar xzf "d3-array-$D3_ARRAY_VERSION.tgz" -C d3-array
tar xzf "d3-geo-projection-$D3_GEO_PROJECTION_VERSION.tgz" -C d3-geo-projection
tar xzf "zazuko-yasgui-$YASGUI_VERSION.tgz" -C yasgui
tar xzf "cytoscape-$CYTOSCAPE_VERSION.tgz" -C cytoscape
tar xzf "cytoscape-fcose-$FCOSE_VERSION.tgz" -C fcose
tar xzf "cose-base-$COSE_BASE_VERSION.tgz" -C cose-base
tar xzf "layout-base-$LAYOUT_BASE_VERSION.tgz" -C layout-base
rm -rf "$VENDOR/yasgui" "$VENDOR/cytoscape" "$VENDOR/world-atlas" "$VENDOR/topojson-client" "$VENDOR/d3-geo" "$VENDOR/cytoscape-fcose"
mkdir -p "$VENDOR/yasgui" "$VENDOR/cytoscape" "$VENDOR/world-atlas" "$VENDOR/topojson-client" "$VENDOR/d3-geo" "$VENDOR/cytoscape-fcose"
cp world-atlas/package/countries-50m.json world-atlas/package/LICENSE "$VENDOR/world-atlas/"
cp topojson-client/package/dist/topojson-client.min.js topojson-client/package/LICENSE "$VENDOR/topojson-client/"
# d3-geo's UMD build needs d3-array (d3.merge, d3.range…): both go in d3-geo/
cp d3-array/package/dist/d3-array.min.js "$VENDOR/d3-geo/"
cp d3-array/package/LICENSE "$VENDOR/d3-geo/LICENSE-d3-array"
cp d3-geo/package/dist/d3-geo.min.js d3-geo/package/LICENSE "$VENDOR/d3-geo/"
cp d3-geo-projection/package/dist/d3-geo-projection.min.js "$VENDOR/d3-geo/"
cp d3-geo-projection/package/LICENSE "$VENDOR/d3-geo/LICENSE-d3-geo-projection"
cp yasgui/package/build/yasgui.min.js yasgui/package/build/yasgui.min.css "$VENDOR/yasgui/"
cp cytoscape/package/dist/cytoscape.min.js cytoscape/package/LICENSE "$VENDOR/cytoscape/"
# UMD builds, loaded in this order: layout-base, cose-base, cytoscape-fcose
cp layout-base/package/layout-base.js "$VENDOR/cytoscape-fcose/"
cp layout-base/package/LICENSE "$VENDOR/cytoscape-fcose/LICENSE-layout-base"
cp cose-base/package/cose-base.js "$VENDOR/cytoscape-fcose/"
cp cose-base/package/LICENSE "$VENDOR/cytoscape-fcose/LICENSE-cose-base"
cp fcose/package/cytoscape-fcose.js fcose/package/LICENSE "$VENDOR/cytoscape-fcose/"
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
| world-atlas/ | world-atlas | $WORLD_ATLAS_VERSION | ISC (Mike Bostock); geometry from Natural Earth, public domain | countries-50m.json (TopoJSON, feature ids = ISO 3166-1 numeric / UN M49), LICENSE |
| topojson-client/ | topojson-client | $TOPOJSON_CLIENT_VERSION | ISC (Mike Bostock) | topojson-client.min.js, LICENSE |
| d3-geo/ | d3-geo | $D3_GEO_VERSION | ISC (Mike Bostock) | d3-geo.min.js, LICENSE |
| d3-geo/ | d3-array (needed by d3-geo) | $D3_ARRAY_VERSION | ISC (Mike Bostock) | d3-array.min.js, LICENSE-d3-array |
| d3-geo/ | d3-geo-projection (Mollweide) | $D3_GEO_PROJECTION_VERSION | ISC (Mike Bostock, Ricky Reusser) | d3-geo-projection.min.js, LICENSE-d3-geo-projection |
| cytoscape-fcose/ | cytoscape-fcose | $FCOSE_VERSION | MIT (iVis-at-Bilkent) | cytoscape-fcose.js, LICENSE |
| cytoscape-fcose/ | cose-base (needed by cytoscape-fcose) | $COSE_BASE_VERSION | MIT (iVis-at-Bilkent) | cose-base.js, LICENSE-cose-base |
| cytoscape-fcose/ | layout-base (needed by cose-base) | $LAYOUT_BASE_VERSION | MIT (iVis-at-Bilkent) | layout-base.js, LICENSE-layout-base |
MD
echo "vendored into $VENDOR"
