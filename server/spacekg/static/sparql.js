// YASGUI on /sparql: this endpoint only, SpaceKG's prefixes, the competency questions as
// examples, and a graph view of results next to the table. Nothing is fetched from elsewhere.
(function () {
  "use strict";
  // YASGUI rewrites the URL when it starts: read the requested example first.
  const requested = /example=([\w-]+)/.exec(window.location.hash);
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const prefixes = JSON.parse(document.getElementById("prefixes-data").textContent);
  const endpoint = window.location.origin + "/sparql";
  const prologue = Object.keys(prefixes).map(function (p) {
    return "PREFIX " + p + ": <" + prefixes[p] + ">";
  }).join("\n");
  const starter = prologue + "\n\nSELECT ?agency ?label WHERE {\n  ?agency a skg:SpaceAgency ;\n" +
    "          skos:prefLabel ?label .\n  FILTER(lang(?label) = \"en\")\n}\nORDER BY ?label\n";

  // Autocompleters that call prefix.cc or LOV would leave the machine: keep the local ones.
  const Yasqe = Yasgui.Yasqe;
  if (Yasqe && Yasqe.defaults && Array.isArray(Yasqe.defaults.autocompleters)) {
    Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
      return name === "variables" || name === "prefixes-local";
    });
  }

  class GraphPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 5; this.label = "Graph"; this.hideFromSelection = false; }
    triples() {
      const results = this.yasr.results;
      const out = [];
      if (!results) return out;
      if (typeof results.getStatements === "function") {
        try {
          const st = results.getStatements() || [];
          st.forEach(function (t) { out.push([t.subject, t.predicate, t.object]); });
          if (out.length) return out;
        } catch (e) { /* not a graph result */ }
      }
      const vars = results.getVariables ? results.getVariables() : [];
      const rows = results.getBindings ? results.getBindings() || [] : [];
      if (vars.indexOf("s") >= 0 && vars.indexOf("p") >= 0 && vars.indexOf("o") >= 0) {
        rows.forEach(function (r) { if (r.s && r.p && r.o) out.push([r.s, r.p, r.o]); });
        return out;
      }
      rows.forEach(function (r) {
        const terms = vars.map(function (v) { return [v, r[v]]; }).filter(function (x) { return x[1]; });
        for (let i = 1; i < terms.length; i++) {
          out.push([terms[0][1], { value: terms[i][0], termType: "NamedNode" }, terms[i][1]]);
        }
      });
      return out;
    }
    canHandleResults() { return this.triples().length > 0; }
    getIcon() {
      const icon = document.createElement("div");
      icon.textContent = "◉";
      return icon;
    }
    draw() {
      const box = document.createElement("div");
      box.className = "yasr-graph";
      this.yasr.resultsEl.appendChild(box);
      const nodes = {}, edges = [];
      function short(v) {
        for (const p in prefixes) { if (v.indexOf(prefixes[p]) === 0) return p + ":" + v.slice(prefixes[p].length); }
        return v;
      }
      function node(t) {
        const v = t.value, isLit = t.type === "literal" || t.termType === "Literal";
        const id = (isLit ? "lit:" : "") + v;
        if (!nodes[id]) nodes[id] = { data: { id: id, label: isLit ? v.slice(0, 60) : short(v), lit: isLit } };
        return id;
      }
      this.triples().slice(0, 1500).forEach(function (t, i) {
        edges.push({ data: { id: "e" + i, source: node(t[0]), target: node(t[2]), label: short(t[1].value) } });
      });
      cytoscape({
        container: box,
        elements: Object.values(nodes).concat(edges),
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#3b6ea5",
              "text-valign": "bottom", width: 16, height: 16 } },
          { selector: "node[?lit]", style: { shape: "round-rectangle", "background-color": "#f2b134" } },
          { selector: "edge", style: { label: "data(label)", "font-size": 8, "curve-style": "bezier",
              "target-arrow-shape": "triangle", width: 1, color: "#6b7385" } }
        ],
        layout: { name: "cose", animate: false, padding: 30 },
        maxZoom: 1.4
      });
    }
  }
  Yasgui.Yasr.registerPlugin("graph", GraphPlugin);

  // Results naming countries: the world map, the result's countries coloured, each linked.
  const countriesEl = document.getElementById("countries-data");
  const countries = countriesEl ? JSON.parse(countriesEl.textContent) : [];
  const byIri = new Map(countries.map(function (c) { return [c.iri, c]; }));
  class MapPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 4; this.label = "Map"; this.hideFromSelection = false; }
    found() {
      const results = this.yasr.results;
      const seen = new Map();
      if (!results || !results.getBindings || results.getError()) return [];
      (results.getBindings() || []).forEach(function (row) {
        Object.keys(row).forEach(function (v) {
          const c = row[v] && byIri.get(row[v].value);
          if (c && !seen.has(c.iri)) seen.set(c.iri, Object.assign({}, c, { roles: ["result"] }));
        });
      });
      return Array.from(seen.values());
    }
    canHandleResults() { return this.found().length > 0; }
    getIcon() { const i = document.createElement("div"); i.textContent = "🌐"; return i; }
    draw() {
      const figure = document.createElement("figure");
      figure.className = "world-map yasr-map";
      figure.dataset.atlas = countriesEl.dataset.atlas;
      figure.dataset.roles = JSON.stringify({ result: "in the results" });
      const data = document.createElement("script");
      data.type = "application/json";
      data.className = "map-data";
      data.textContent = JSON.stringify(this.found());
      const canvas = document.createElement("div");
      canvas.className = "map-canvas";
      figure.append(data, canvas);
      this.yasr.resultsEl.appendChild(figure);
      if (window.spacekgMap) window.spacekgMap.draw(figure);
    }
  }
  Yasgui.Yasr.registerPlugin("map", MapPlugin);

  // A failed query: the endpoint's JSON error (message, line, column) as a sentence and the
  // offending line of the query with a caret under the column, instead of raw JSON.
  class ErrorPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 30; this.hideFromSelection = true; }
    canHandleResults() { return !!this.yasr.results && !!this.yasr.results.getError(); }
    getIcon() { const i = document.createElement("div"); i.textContent = "!"; return i; }
    draw() {
      const results = this.yasr.results;
      const err = results.getError() || {};
      let body = "";
      try { body = results.getOriginalResponseAsString ? results.getOriginalResponseAsString() : ""; } catch (e) { body = ""; }
      let info = null;
      for (const text of [body, err.text]) {
        try { const parsed = JSON.parse(text); if (parsed && parsed.error) { info = parsed.error; break; } } catch (e) { /* not JSON */ }
      }
      const box = document.createElement("div");
      box.className = "spacekg-error";
      const title = document.createElement("h3");
      title.textContent = (info && info.title) || err.statusText || "Query failed";
      if (err.status) title.textContent = err.status + " " + title.textContent;
      const message = document.createElement("p");
      message.className = "message";
      message.textContent = (info && info.message) || err.text || body || "The endpoint did not answer.";
      box.append(title, message);
      if (info && info.line) {
        const where = document.createElement("p");
        where.className = "where";
        where.textContent = "line " + info.line + (info.column ? ", column " + info.column : "");
        box.append(where);
        let query = "";
        try { query = window.spacekgYasgui.getTab().getQuery(); } catch (e) { query = ""; }
        const line = query.split("\n")[info.line - 1];
        if (line !== undefined) {
          const pre = document.createElement("pre");
          pre.textContent = line + "\n" + " ".repeat(Math.max(0, (info.column || 1) - 1)) + "^";
          box.append(pre);
        }
      }
      this.yasr.resultsEl.appendChild(box);
    }
  }
  Yasgui.Yasr.registerPlugin("error", ErrorPlugin);

  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: starter },
    yasr: { prefixes: prefixes, pluginOrder: ["table", "map", "graph", "response"], defaultPlugin: "table" }
  });
  window.spacekgYasgui = yasgui;

  function runExample(slug) {
    const ex = examples.find(function (e) { return e.slug === slug; });
    if (!ex) return;
    const tab = yasgui.addTab(true, { name: ex.slug.replace(/^(\d+)-.*/, "Q$1"),
                                      requestConfig: { endpoint: endpoint, method: "POST" } });
    const t = tab || yasgui.getTab();
    t.setQuery(ex.query);
    t.query();
  }
  function fromHash() {
    if (requested) runExample(requested[1]);
  }
  document.getElementById("example-list").addEventListener("click", function (e) {
    const a = e.target.closest("a[data-slug]");
    if (!a) return;
    e.preventDefault();
    history.replaceState(null, "", "#example=" + a.dataset.slug);
    runExample(a.dataset.slug);
  });
  fromHash();
})();
