// World map of the countries the report names (issue 14): drawn offline with the vendored
// world-atlas TopoJSON, topojson-client and d3-geo. Each <figure class="world-map"> carries
// its countries as JSON (path, UN M49 code, label, roles); a country's first role colours it
// and a dot marks each further role (but "represented", the common ground), so every role of
// the legend shows on the map. Mollweide draws the whole globe as an ellipse: no flat poles.
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
    const width = 960, height = 484;  // Mollweide's globe is twice as wide as it is high
    const projection = (d3.geoMollweide ? d3.geoMollweide() : d3.geoEqualEarth())
      .fitExtent([[2, 2], [width - 2, height - 2]], { type: "Sphere" });
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
    const dots = [];
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
      const further = country.roles.slice(1).filter((r) => r !== "represented");
      if (further.length && !dots.some((dot) => dot.country === country)) {
        dots.push({ country: country, roles: further, at: path.centroid(largest(feature)) });
      }
    }
    // further roles: dots in a row at the country's middle (its largest piece's), on top
    for (const dot of dots) {
      dot.roles.forEach((role, i) => {
        const circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("cx", String(dot.at[0] + (i - (dot.roles.length - 1) / 2) * 9));
        circle.setAttribute("cy", String(dot.at[1]));
        circle.setAttribute("r", "4");
        circle.setAttribute("class", "role-dot role-" + role);
        const title = document.createElementNS(SVG, "title");
        title.textContent = dot.country.label + " — " + (roleNames[role] || role);
        circle.appendChild(title);
        svg.appendChild(circle);
      });
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

  // a country's largest piece (France without its overseas departments), for its dot
  function largest(feature) {
    if (feature.geometry.type !== "MultiPolygon") return feature;
    let best = null, area = -1;
    for (const coordinates of feature.geometry.coordinates) {
      const piece = { type: "Polygon", coordinates: coordinates };
      const a = d3.geoArea(piece);
      if (a > area) { area = a; best = piece; }
    }
    return best;
  }

  function drawFigure(figure) {
    return world(figure.dataset.atlas).then((w) => draw(figure, w))
      .catch(() => figure.classList.add("failed"));
  }
  // YASGUI's map view draws result countries with the same code
  window.spacekgMap = { draw: drawFigure };
  document.querySelectorAll("figure.world-map").forEach(drawFigure);
})();
