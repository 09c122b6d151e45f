// Graph explorer: start at one entity, expand neighbours on click (from /api/neighbours),
// filter by class, open entity pages on double-click or from the side panel. Laid out by
// fCoSE with the labels counted in each node's size, so full names never overlap.
(function () {
  "use strict";
  const t = window.spacekgT;
  const el = document.getElementById("cy");
  const start = el.dataset.start;
  const pageLang = el.dataset.lang || "en";
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
          "label": "data(label)", "font-size": 12, "text-wrap": "wrap", "text-max-width": 150, "text-overflow-wrap": pageLang === "zh" ? "anywhere" : "whitespace",
          "background-color": "data(colour)", "color": "#1d2433", "text-valign": "bottom",
          "text-margin-y": 4, "width": 22, "height": 22, "border-width": 2, "border-color": "#fff",
          "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
      { selector: "node.expanded", style: { "border-color": "#1d2433", "width": 30, "height": 30 } },
      { selector: "node:selected", style: { "border-color": "#f2b134", "border-width": 4 } },
      { selector: "edge", style: {
          "label": "", "font-size": 10, "color": "#4b5365", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "width": 1.2, "line-color": "#b8c0cc",
          "target-arrow-color": "#b8c0cc", "text-rotation": "autorotate", "text-background-color": "#fff",
          "text-background-opacity": 0.9, "z-index": 0 } },
      // an edge's name shows when it or one of its ends is pointed at or selected: drawn on
      // every edge they covered the node names
      { selector: "edge.named", style: { "label": "data(label)", "z-index": 20 } },
      { selector: "node", style: { "z-index": 10 } },
      { selector: ".filtered", style: { "display": "none" } }
    ],
    layout: { name: "preset" }
  });
  window.spacekgExplorer = cy;  // for tests and the console

  // full names, wrapped on the canvas (fCoSE leaves room for them)
  cy.on("mouseover", "node", function (evt) {
    el.title = evt.target.data("full") || "";
    evt.target.connectedEdges().addClass("named");
  });
  cy.on("mouseout", "node", function (evt) {
    el.title = "";
    evt.target.connectedEdges().not(cy.$("node:selected").connectedEdges()).removeClass("named");
  });
  cy.on("select", "node", function (evt) { cy.edges().removeClass("named"); evt.target.connectedEdges().addClass("named"); });
  cy.on("mouseover", "edge", function (evt) { evt.target.addClass("named"); });
  cy.on("mouseout", "edge", function (evt) {
    if (!evt.target.connectedNodes().is(":selected")) evt.target.removeClass("named");
  });

  function arrange(randomize) {
    window.spacekgLayout(cy, { randomize: randomize, idealEdgeLength: () => 80, nodeSeparation: 40,
                               focus: start });
  }

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
              mark(a, r.label);
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
      const name = document.createElement("span");
      name.textContent = " " + c + " ";
      mark(name, c);
      label.appendChild(name);
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = counts[c];
      label.appendChild(count);
      box.appendChild(label);
    });
  }

  function applyFilter() {
    cy.nodes().forEach(function (n) {
      n.toggleClass("filtered", (hidden.has(n.data("classLabel")) && n.id() !== start) ||
        (showNotes && !showNotes.checked && isNote(n.id())));
    });
  }

  // the data's English names on a Chinese page say so (lang="en"), as the server's pages do
  function mark(node, text) {
    if (pageLang === "zh" && /[A-Za-z]{2}/.test(text) && !/[\u3400-\u9fff]/.test(text)) node.lang = "en";
  }
  function showSelected(n) {
    const box = document.getElementById("selected");
    box.replaceChildren();
    const h = document.createElement("h3");
    const a = document.createElement("a");
    a.href = n.data("url") || n.id(); a.textContent = n.data("full") || n.data("label"); a.id = "selected-link";
    mark(a, a.textContent);
    h.appendChild(a); box.appendChild(h);
    const other = pageLang === "zh" ? n.data("en") : n.data("zh");
    if (other && other !== a.textContent) {
      const o = document.createElement("p");
      o.className = "other-label";
      o.lang = pageLang === "zh" ? "en" : "zh";
      o.textContent = other;
      box.appendChild(o);
    }
    const p = document.createElement("p");
    p.className = "small";
    p.textContent = n.data("classLabel");
    mark(p, p.textContent);
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
            id: n.id, label: n.label, full: n.label, zh: n.zh, en: n.en, url: n.url,
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
        refreshFilter(); applyFilter();
        arrange(expanded.size <= 1);
        status.textContent = t("explore_status", cy.nodes().length, cy.edges().length) +
          (data.truncated ? t("explore_truncated") : "");
        el.dataset.expanded = String(expanded.size);
      })
      .catch(function (err) { status.textContent = t("explore_failed", iri, err.message); });
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
    arrange(true);
  });
  document.getElementById("reset").addEventListener("click", function () {
    cy.elements().remove(); expanded.clear(); hidden.clear(); expand(start);
  });
  expand(start).then(function () {
    const n = cy.getElementById(start);
    if (n.length) { n.select(); showSelected(n); }
  });
})();
