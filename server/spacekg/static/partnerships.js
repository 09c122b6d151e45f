// The partnership network (issue 14): partners linked by the partnerships they share, drawn
// with the vendored Cytoscape and laid out by fCoSE with each label inside its node's box, so
// full names never overlap; a line is wider only when it stands for more partnerships.
(function () {
  "use strict";
  const holder = document.getElementById("net");
  if (!holder || !window.cytoscape) return;
  const data = JSON.parse(document.getElementById("network-data").textContent);
  const elements = [];
  // partners of one partnership next to each other on the circle
  const order = new Map();
  data.edges.forEach((e) => { for (const id of [e.source, e.target]) if (!order.has(id)) order.set(id, order.size); });
  const nodes = [...data.nodes].sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
  for (const n of nodes) {
    elements.push({ data: { id: n.id, label: n.label, full: n.label, path: n.path, kind: n.kind } });
  }
  data.edges.forEach((e, i) => {
    elements.push({ data: { id: "e" + i, source: e.source, target: e.target, count: e.count,
                            partnerships: e.partnerships } });
  });
  const widest = Math.max(1, ...data.edges.map((e) => e.count || 1));
  const cy = cytoscape({
    container: holder,
    elements,
    layout: { name: "preset" },
    maxZoom: 2,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 12, "text-valign": "bottom",
        "text-margin-y": 4, "background-color": "#3f7cbf", width: 20, height: 20,
        "text-wrap": "wrap", "text-max-width": 130, "text-overflow-wrap": holder.dataset.lang === "zh" ? "anywhere" : "whitespace", color: "#1d2433", "text-background-color": "#fff",
        "text-background-opacity": 0.85, "text-background-padding": 1 } },
      { selector: "node[kind = 'country']", style: { "background-color": "#e0a030", shape: "round-rectangle" } },
      { selector: "node[kind = 'region']", style: { "background-color": "#6a9f58", shape: "hexagon" } },
      { selector: "edge", style: { width: widest > 1 ? `mapData(count, 1, ${widest}, 2, 8)` : 2,
        "line-color": "#8a9bb3", "curve-style": "bezier" } },
      { selector: "edge:selected", style: { "line-color": "#c0504d" } },
    ],
  });
  cy.nodes().forEach((n) => { n.data("title", n.data("full")); });
  window.spacekgLayout(cy);
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
      link.textContent = p.label || window.spacekgT("partnership");
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
