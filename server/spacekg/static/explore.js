// Graph explorer: start at one entity, expand neighbours on click (from /api/neighbours),
// filter by class, open entity pages on double-click or from the side panel.
(function () {
  "use strict";
  const el = document.getElementById("cy");
  const start = el.dataset.start;
  const palette = ["#3b6ea5", "#c8553d", "#588b8b", "#f28f3b", "#8f5e99", "#5b8c2a", "#b0413e",
                   "#2a7f9e", "#a67c00", "#6d6875", "#d1495b", "#00798c"];
  const classColour = {};
  const hidden = new Set();
  const expanded = new Set();
  const status = document.getElementById("status");
  const cy = cytoscape({
    container: el,
    style: [
      { selector: "node", style: {
          "label": "data(label)", "font-size": 11, "text-wrap": "wrap", "text-max-width": 140,
          "background-color": "data(colour)", "color": "#1d2433", "text-valign": "bottom",
          "text-margin-y": 4, "min-zoomed-font-size": 7, "width": 22, "height": 22, "border-width": 2, "border-color": "#fff" } },
      { selector: "node.expanded", style: { "border-color": "#1d2433", "width": 30, "height": 30 } },
      { selector: "node:selected", style: { "border-color": "#f2b134", "border-width": 4 } },
      { selector: "edge", style: {
          "label": "data(label)", "font-size": 9, "min-zoomed-font-size": 9, "color": "#6b7385", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "width": 1.2, "line-color": "#b8c0cc",
          "target-arrow-color": "#b8c0cc", "text-rotation": "autorotate", "text-background-color": "#fff",
          "text-background-opacity": 0.8 } },
      { selector: ".filtered", style: { "display": "none" } }
    ],
    layout: { name: "preset" }
  });
  window.spacekgExplorer = cy;  // for tests and the console

  // long names are cut on the canvas; the full text shows on hover and in the side panel
  function short(text) { return text && text.length > 32 ? text.slice(0, 30) + "…" : text; }
  cy.on("mouseover", "node", function (evt) { el.title = evt.target.data("full") || ""; });
  cy.on("mouseout", "node", function () { el.title = ""; });

  // claims and paragraphs are many and mostly noise at first: off until asked for
  const showNotes = document.getElementById("show-notes");
  function isNote(iri) {
    return iri !== start && (iri.indexOf("/id/claim/") >= 0 || /\/id\/document\/[^/]+\/./.test(iri));
  }
  if (showNotes) showNotes.addEventListener("change", function () { applyFilter(); });

  // the explorer's own search: start again at what the reader picks
  const search = document.getElementById("explore-search");
  const hits = document.getElementById("explore-hits");
  if (search && hits) {
    // Enter picks from the list below; the form is never sent (no inline handler: the CSP
    // allows scripts from files only)
    search.form.addEventListener("submit", (event) => event.preventDefault());
    let timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const q = search.value.trim();
        if (!q) { hits.replaceChildren(); return; }
        fetch("/api/search?limit=8&q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
          .then(function (data) {
            hits.replaceChildren();
            data.results.forEach(function (r) {
              const li = document.createElement("li");
              const a = document.createElement("a");
              a.href = "/explore?iri=" + encodeURIComponent(r.iri);
              a.textContent = r.label;
              a.title = r.label + (r.other_label ? " · " + r.other_label : "");
              li.appendChild(a);
              hits.appendChild(li);
            });
          });
      }, 150);
    });
  }

  function colourOf(classes) {
    const key = classes[0] || "";
    if (!(key in classColour)) {
      classColour[key] = palette[Object.keys(classColour).length % palette.length];
    }
    return classColour[key];
  }

  function refreshFilter() {
    const box = document.getElementById("class-filter");
    const counts = {};
    cy.nodes().forEach(function (n) {
      const c = n.data("classLabel");
      counts[c] = (counts[c] || 0) + 1;
    });
    box.innerHTML = "";
    Object.keys(counts).sort().forEach(function (c) {
      const label = document.createElement("label");
      const cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = !hidden.has(c); cb.dataset.cls = c;
      cb.addEventListener("change", function () {
        if (cb.checked) hidden.delete(c); else hidden.add(c);
        applyFilter();
      });
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      const sample = cy.nodes().filter(function (n) { return n.data("classLabel") === c; })[0];
      swatch.style.background = sample ? sample.data("colour") : "#ccc";
      label.appendChild(cb); label.appendChild(swatch);
      label.appendChild(document.createTextNode(" " + c + " (" + counts[c] + ")"));
      box.appendChild(label);
    });
  }

  function applyFilter() {
    cy.nodes().forEach(function (n) {
      n.toggleClass("filtered", (hidden.has(n.data("classLabel")) && n.id() !== start) ||
        (showNotes && !showNotes.checked && isNote(n.id())));
    });
  }

  function showSelected(n) {
    const box = document.getElementById("selected");
    box.innerHTML = "";
    const h = document.createElement("h3");
    const a = document.createElement("a");
    a.href = n.data("url") || n.id(); a.textContent = n.data("full") || n.data("label"); a.id = "selected-link";
    h.appendChild(a); box.appendChild(h);
    const p = document.createElement("p");
    p.className = "small";
    p.textContent = [n.data("zh"), n.data("classLabel")].filter(Boolean).join(" · ");
    box.appendChild(p);
  }

  function expand(iri, around) {
    if (expanded.has(iri)) return Promise.resolve();
    status.textContent = "…";
    return fetch("/api/neighbours?iri=" + encodeURIComponent(iri))
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        expanded.add(iri);
        const centre = around || { x: 0, y: 0 };
        const added = [];
        data.nodes.forEach(function (n, i) {
          if (cy.getElementById(n.id).length) return;
          const angle = (2 * Math.PI * i) / Math.max(data.nodes.length, 1);
          added.push({ group: "nodes", data: {
            id: n.id, label: short(n.label), full: n.label, zh: n.zh, url: n.url,
            classLabel: n.class_labels[0] || "—", colour: colourOf(n.class_labels) },
            position: { x: centre.x + 220 * Math.cos(angle), y: centre.y + 220 * Math.sin(angle) } });
        });
        data.edges.forEach(function (e) {
          const id = e.source + " " + e.predicate + " " + e.target;
          if (cy.getElementById(id).length) return;
          added.push({ group: "edges", data: { id: id, source: e.source, target: e.target, label: e.label } });
        });
        cy.add(added);
        cy.getElementById(iri).addClass("expanded");
        const layout = cy.layout({ name: "cose", animate: false, randomize: expanded.size <= 1,
                                   nodeRepulsion: function () { return 400000; }, nodeOverlap: 40,
                                   idealEdgeLength: function () { return 120; }, gravity: 0.5,
                                   numIter: 1500, fit: true, padding: 40 });
        layout.run();
        refreshFilter(); applyFilter();
        status.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " edges" +
          (data.truncated ? " (some links not shown)" : "");
        el.dataset.expanded = String(expanded.size);
      })
      .catch(function (err) { status.textContent = "Could not load " + iri + ": " + err.message; });
  }

  cy.on("tap", "node", function (evt) {
    const n = evt.target;
    showSelected(n);
    expand(n.id(), n.position());
  });
  cy.on("dbltap", "node", function (evt) {
    const url = evt.target.data("url");
    if (url) window.location = url;
  });
  document.getElementById("relayout").addEventListener("click", function () {
    cy.layout({ name: "cose", animate: false, randomize: true, fit: true, padding: 40,
                nodeRepulsion: function () { return 400000; }, nodeOverlap: 40,
                idealEdgeLength: function () { return 120; } }).run();
  });
  document.getElementById("reset").addEventListener("click", function () {
    cy.elements().remove(); expanded.clear(); hidden.clear(); expand(start);
  });
  expand(start).then(function () {
    const n = cy.getElementById(start);
    if (n.length) { n.select(); showSelected(n); }
  });
})();
