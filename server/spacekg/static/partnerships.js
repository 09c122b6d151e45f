// The explorer's partnership view (issue 14): partners linked by the partnerships they
// share, drawn with the vendored Cytoscape; edge width by the number of partnerships.
(function () {
  "use strict";
  const holder = document.getElementById("net");
  if (!holder || !window.cytoscape) return;
  const data = JSON.parse(document.getElementById("network-data").textContent);
  const zh = holder.dataset.lang === "zh";
  const short = (text) => (text.length > 24 ? text.slice(0, 22) + "…" : text);
  const elements = [];
  // partners of one partnership next to each other on the circle
  const order = new Map();
  data.edges.forEach((e) => { for (const id of [e.source, e.target]) if (!order.has(id)) order.set(id, order.size); });
  const nodes = [...data.nodes].sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
  for (const n of nodes) {
    elements.push({ data: { id: n.id, label: short(n.label), full: n.label, path: n.path, kind: n.kind } });
  }
  data.edges.forEach((e, i) => {
    elements.push({ data: { id: "e" + i, source: e.source, target: e.target, count: e.count,
                            partnerships: e.partnerships } });
  });
  const cy = cytoscape({
    container: holder,
    elements,
    // a handful of partners reads best on a circle; many need a force layout
    layout: data.nodes.length <= 12
      ? { name: "circle", padding: 80, radius: 60 + 25 * data.nodes.length }
      // cose's default ideal edge length (32 px) packs the partners of a hub under each
      // other's labels; longer edges and stronger repulsion leave room for the labels
      : { name: "cose", animate: false, padding: 40, idealEdgeLength: () => 90,
          nodeRepulsion: () => 400000, nodeOverlap: 40, gravity: 0.4, componentSpacing: 80,
          numIter: 2500 },
    maxZoom: 1.4,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "bottom",
        "text-margin-y": 4, "background-color": "#3f7cbf", width: 22, height: 22 } },
      { selector: "node[kind = 'country']", style: { "background-color": "#e0a030", shape: "round-rectangle" } },
      { selector: "node[kind = 'region']", style: { "background-color": "#6a9f58", shape: "hexagon" } },
      { selector: "edge", style: { width: "mapData(count, 1, 5, 3, 12)", "line-color": "#8a9bb3",
        "curve-style": "bezier" } },
      { selector: "edge:selected", style: { "line-color": "#c0504d" } },
    ],
  });
  cy.nodes().forEach((n) => { n.data("title", n.data("full")); });
  const detail = document.getElementById("edge-detail");
  function show(edge) {
    const a = cy.getElementById(edge.data("source")).data("full");
    const b = cy.getElementById(edge.data("target")).data("full");
    detail.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = `${a} — ${b}`;
    const ul = document.createElement("ul");
    ul.className = "partnerships";
    for (const p of edge.data("partnerships")) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = p.path;
      link.textContent = p.label || (zh ? "伙伴关系" : "partnership");
      li.append(link);
      for (const para of p.paragraphs) {
        const pl = document.createElement("a");
        pl.href = para.path;
        pl.className = "para";
        pl.textContent = "¶" + para.number;
        li.append(" ", pl);
      }
      ul.append(li);
    }
    detail.append(h, ul);
  }
  cy.on("tap", "edge", (evt) => show(evt.target));
  cy.on("dbltap", "node", (evt) => { if (evt.target.data("path")) location.href = evt.target.data("path"); });
  cy.on("mouseover", "node", (evt) => { holder.title = evt.target.data("full"); });
  cy.on("mouseout", "node", () => { holder.title = ""; });
  window.spacekgPartnerships = cy;
  holder.dataset.ready = "1";
})();
