// World map of the countries the report names (issue 14): drawn offline with the vendored
// world-atlas TopoJSON, topojson-client and d3-geo. Each <figure class="world-map"> carries
// its countries as JSON (path, UN M49 code, label, roles); a country's first role colours it.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  if (!window.d3 || !window.topojson) return;
  let atlas = null;  // one fetch of the TopoJSON per page, shared by every map on it
  function world(url) {
    if (!atlas) atlas = fetch(url).then((r) => r.json());
    return atlas;
  }

  function draw(figure, world) {
    const countries = JSON.parse(figure.querySelector("script.map-data").textContent);
    const highlight = figure.dataset.highlight || "";
    const roleNames = JSON.parse(figure.dataset.roles || "{}");
    const byCode = new Map(countries.map((c) => [c.m49, c]));
    const width = 960, height = 470;
    const projection = d3.geoEqualEarth().fitSize([width, height], { type: "Sphere" });
    const path = d3.geoPath(projection);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", figure.dataset.label || "");
    const sphere = document.createElementNS(SVG, "path");
    sphere.setAttribute("d", path({ type: "Sphere" }));
    sphere.setAttribute("class", "sphere");
    svg.appendChild(sphere);
    const drawn = new Set();
    for (const feature of topojson.feature(world, world.objects.countries).features) {
      const d = path(feature);
      if (!d) continue;
      const shape = document.createElementNS(SVG, "path");
      shape.setAttribute("d", d);
      const country = byCode.get(feature.id);
      if (!country) {
        shape.setAttribute("class", "land");
        svg.appendChild(shape);
        continue;
      }
      drawn.add(country.m49);
      const link = document.createElementNS(SVG, "a");
      link.setAttribute("href", country.path);
      link.setAttribute("class", "country");
      link.dataset.m49 = country.m49;
      shape.setAttribute("class", "role-" + country.roles[0] +
        (country.path === highlight ? " highlight" : ""));
      const title = document.createElementNS(SVG, "title");
      title.textContent = country.label + " — " +
        country.roles.map((r) => roleNames[r] || r).join(", ");
      shape.appendChild(title);
      link.appendChild(shape);
      svg.appendChild(link);
    }
    figure.querySelector(".map-canvas").replaceChildren(svg);
    // countries too small for the map's scale keep their place in the list below it
    const missing = countries.filter((c) => !drawn.has(c.m49));
    const note = figure.querySelector(".map-missing");
    if (note && missing.length) {
      note.hidden = false;
      const list = note.querySelector("span");
      missing.forEach((c, i) => {
        const a = document.createElement("a");
        a.href = c.path;
        a.textContent = c.label;
        if (i) list.append(", ");
        list.append(a);
      });
    }
    figure.classList.add("drawn");
  }

  function drawFigure(figure) {
    return world(figure.dataset.atlas).then((w) => draw(figure, w))
      .catch(() => figure.classList.add("failed"));
  }
  // YASGUI's map view draws result countries with the same code
  window.spacekgMap = { draw: drawFigure };
  document.querySelectorAll("figure.world-map").forEach(drawFigure);
})();
