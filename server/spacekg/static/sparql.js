// YASGUI on /sparql: this endpoint only, SpaceKG's predeclared prefixes known to the editor,
// the competency questions as examples, results with labels and plain values, map and graph
// views, and every control in the reader's language. Nothing is fetched from elsewhere.
(function () {
  "use strict";
  const t = window.spacekgT;
  const M = window.spacekgMessages || {};
  const pageLang = document.documentElement.lang.slice(0, 2) === "zh" ? "zh" : "en";
  // YASGUI builds its controls in English with no way to set their words: its texts, titles
  // and placeholders are put into the reader's language as they appear, from the catalogue
  // ("yasgui:" entries: the English text, then its translation) and a few patterns.
  const fixed = {};
  Object.keys(M).forEach(function (key) {
    if (key.indexOf("yasgui:") === 0) fixed[key.slice(7)] = M[key];
  });
  const patterns = [
    [/^(\d+) results? in ([\d.]+) seconds?$/, "sparql_results_in"],
    [/^Response in ([\d.]+) seconds?$/, "sparql_response_in"],
    [/^(\d+) results?$/, "sparql_results"],
    [/^Showing (\d+) to (\d+) of (\d+) entr(?:y|ies)$/, "sparql_showing"],
    [/^\(filtered from (\d+) total entr(?:y|ies)\)$/, "sparql_filtered"],
    [/^Shows (.+) view$/, "sparql_shows_view"],
    [/^View documentation of (.+)$/, "sparql_view_docs"],
    [/^(.+): Activate to sort$/, "sparql_sort"],
    [/^(.+): Activate to invert sorting$/, "sparql_sort"],
    [/^(.+): Activate to remove sorting$/, "sparql_sort_off"],
  ];
  function say(text) {
    const trimmed = text.trim();
    if (!trimmed) return null;
    if (Object.prototype.hasOwnProperty.call(fixed, trimmed)) return text.replace(trimmed, fixed[trimmed]);
    for (const [pattern, key] of patterns) {
      const m = pattern.exec(trimmed);
      if (m) return text.replace(trimmed, t.apply(null, [key].concat(m.slice(1).map(function (g) { return say(g) || g; }))));
    }
    return null;
  }
  function translateNode(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.parentElement && node.parentElement.closest(".CodeMirror, tbody, .spacekg-error")) return;
      const said = say(node.nodeValue);
      if (said !== null && said !== node.nodeValue) node.nodeValue = said;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.closest(".CodeMirror-code, tbody")) return;
    // a result's column is named by the query's variable: a name, not English
    if (node.classList.contains("dt-column-title")) node.setAttribute("translate", "no");
    ["title", "placeholder", "aria-label"].forEach(function (attr) {
      const value = node.getAttribute(attr);
      const said = value && say(value);
      if (said && said !== value) node.setAttribute(attr, said);
    });
    node.childNodes.forEach(translateNode);
  }
  function translate(root) {
    if (!root || pageLang === "en") return;
    translateNode(root);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        if (change.type === "characterData") translateNode(change.target);
        else if (change.type === "attributes") translateNode(change.target);
        else change.addedNodes.forEach(translateNode);
      });
    }).observe(root, { childList: true, subtree: true, characterData: true, attributes: true,
                       attributeFilter: ["title", "placeholder", "aria-label"] });
  }

  // YASGUI rewrites the URL when it starts: read the requested example first.
  const requested = /example=([\w-]+)/.exec(window.location.hash);
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const prefixes = JSON.parse(document.getElementById("prefixes-data").textContent);
  const endpoint = window.location.origin + "/sparql";
  const base = prefixes.id ? prefixes.id.replace(/id\/$/, "") : "";
  // Prefixes out of sight, as Wikidata's query service does: the server predeclares them
  // and the editor knows them (below), so the opening query is short.
  const starter = "# " + t("sparql_prefixes_note", Object.keys(prefixes).map(function (p) { return p + ":"; }).join(" ")) +
    "\nSELECT ?agency ?name WHERE {\n  ?agency a skg:SpaceAgency ;\n          skos:prefLabel ?name .\n" +
    "  FILTER(lang(?name) = \"" + pageLang + "\")\n}\nORDER BY ?name\n";
  // An example's PREFIX lines that the server predeclares add nothing: left out of sight.
  function withoutPredeclared(query) {
    return query.split("\n").filter(function (line) {
      const m = /^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>\s*$/i.exec(line);
      return !(m && prefixes[m[1]] === m[2]);
    }).join("\n").replace(/^\n+/, "");
  }

  // Autocompleters that call prefix.cc or LOV would leave the machine: keep the local ones.
  const Yasqe = Yasgui.Yasqe;
  // The editor's grammar marks a prefix it has not seen declared ("Prefix 'skg' is not
  // defined"); the server predeclares these, so the grammar starts knowing them too.
  const sparqlMode = Yasqe && Yasqe.modes && Yasqe.modes.sparql11;
  if (sparqlMode && Yasqe.defineMode) {
    Yasqe.defineMode("sparql11", function (config, parserConfig) {
      const mode = sparqlMode(config, parserConfig);
      const startState = mode.startState;
      mode.startState = function () {
        const state = startState.apply(this, arguments);
        state.prefixes = Object.assign({}, prefixes, state.prefixes);
        return state;
      };
      return mode;
    });
  }
  if (Yasqe && Yasqe.defaults && Array.isArray(Yasqe.defaults.autocompleters)) {
    Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
      return name === "variables" || name === "prefixes-local";
    });
  }

  // a result view's tab icon, drawn (an emoji may be a missing glyph in the reader's fonts)
  function icon(d) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "15");
    svg.setAttribute("height", "15");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.6");
    path.setAttribute("stroke-linecap", "round");
    svg.appendChild(path);
    const holder = document.createElement("span");
    holder.className = "view-icon";
    holder.appendChild(svg);
    return holder;
  }

  // ---------------------------------------------------------------- labels and plain values
  // A result's IRIs read as their labels in the reader's language (fetched from this
  // endpoint once the results arrive), its literals as plain values: the language tag or
  // datatype goes to the tooltip, booleans and datatype names into the reader's language.
  const labels = new Map();
  const asked = new Set();
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function short(v) {
    for (const p in prefixes) { if (v.indexOf(prefixes[p]) === 0) return p + ":" + v.slice(prefixes[p].length); }
    return v;
  }
  function pageOf(iri) {
    return base && iri.indexOf(base) === 0 && iri.indexOf(base + "ontology#") !== 0 ? "/" + iri.slice(base.length) : iri;
  }
  function isLatin(text) { return /[A-Za-z]{2}/.test(text) && !/[\u3400-\u9fff]/.test(text); }
  function literalText(b) {
    const dt = b.datatype ? b.datatype.replace(/^.*[#/]/, "") : "";
    if (dt === "boolean") return b.value === "true" || b.value === "1" ? M.true : M.false;
    return b.value;
  }
  function literalNote(b) {
    if (b["xml:lang"]) return "@" + b["xml:lang"];
    const dt = b.datatype ? b.datatype.replace(/^.*[#/]/, "") : "";
    return dt ? (M["dt_" + dt] || dt) : "";
  }
  const TablePlugin = Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table;
  if (TablePlugin) {
    TablePlugin.prototype.getCellContent = function (b) {
      if (b.type === "uri") {
        const label = labels.get(b.value);
        const text = label ? label.text : short(b.value);
        const lang = label && label.lang !== pageLang ? ' lang="' + escapeHtml(label.lang) + '"' : "";
        return '<div><span><a class="iri" href="' + escapeHtml(pageOf(b.value)) + '" title="' +
          escapeHtml(b.value) + '"' + lang + ">" + escapeHtml(text) + "</a></span></div>";
      }
      const tag = b["xml:lang"] || (pageLang === "zh" && isLatin(b.value) && !b.datatype ? "en" : "");
      const lang = tag && tag.slice(0, 2) !== pageLang ? ' lang="' + escapeHtml(tag) + '"' : "";
      const note = literalNote(b);
      return "<div><span class='nonIri'" + lang + (note ? ' title="' + escapeHtml(note) + '"' : "") + ">" +
        escapeHtml(literalText(b)) + "</span></div>";
    };
  }
  // the labels of the IRIs in a result, in one query to this endpoint; true if any was new
  function fetchLabels(results) {
    const wanted = [];
    (results.getBindings ? results.getBindings() || [] : []).forEach(function (row) {
      Object.keys(row).forEach(function (v) {
        const b = row[v];
        if (b && b.type === "uri" && !asked.has(b.value) && wanted.length < 800) { asked.add(b.value); wanted.push(b.value); }
      });
    });
    if (!wanted.length) return Promise.resolve(false);
    const query = "SELECT ?x ?l WHERE { VALUES ?x { " + wanted.map(function (i) { return "<" + i + ">"; }).join(" ") +
      " } ?x <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label> ?l }";
    return fetch(endpoint, { method: "POST", body: new URLSearchParams({ query: query }),
                             headers: { Accept: "application/sparql-results+json" } })
      .then(function (r) { return r.ok ? r.json() : { results: { bindings: [] } }; })
      .then(function (data) {
        let added = false;
        data.results.bindings.forEach(function (row) {
          const lang = (row.l["xml:lang"] || "").slice(0, 2);
          const old = labels.get(row.x.value);
          // the reader's language first, then English, then any
          const rank = function (l) { return l === pageLang ? 0 : l === "en" ? 1 : 2; };
          if (!old || rank(lang) < rank(old.lang)) { labels.set(row.x.value, { text: row.l.value, lang: lang || "en" }); added = true; }
        });
        return added;
      })
      .catch(function () { return false; });
  }

  class GraphPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 5; this.label = t("sparql_view_graph"); this.hideFromSelection = false; }
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
    getIcon() { return icon("M4 5a2 2 0 1 0 .01 0M12 3a2 2 0 1 0 .01 0M11 12a2 2 0 1 0 .01 0M4 6l8-2M4 6l7 6M12 4l-1 8"); }
    draw() {
      const box = document.createElement("div");
      box.className = "yasr-graph";
      this.yasr.resultsEl.appendChild(box);
      const nodes = {}, edges = [];
      function name(v) { const l = labels.get(v); return l ? l.text : short(v); }
      function node(term) {
        const v = term.value, isLit = term.type === "literal" || term.termType === "Literal";
        const id = (isLit ? "lit:" : "") + v;
        if (!nodes[id]) nodes[id] = { data: { id: id, label: isLit ? literalText(term).slice(0, 60) : name(v), lit: isLit } };
        return id;
      }
      this.triples().slice(0, 1500).forEach(function (t, i) {
        edges.push({ data: { id: "e" + i, source: node(t[0]), target: node(t[2]), label: name(t[1].value) } });
      });
      const cy = cytoscape({
        container: box,
        elements: Object.values(nodes).concat(edges),
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 12, "background-color": "#3b6ea5",
              "text-valign": "bottom", "text-wrap": "wrap", "text-max-width": 140, "text-overflow-wrap": pageLang === "zh" ? "anywhere" : "whitespace", width: 16, height: 16,
              "text-background-color": "#fff", "text-background-opacity": 0.85 } },
          { selector: "node[?lit]", style: { shape: "round-rectangle", "background-color": "#f2b134" } },
          { selector: "edge", style: { label: "data(label)", "font-size": 10, "curve-style": "bezier",
              "target-arrow-shape": "triangle", width: 1, color: "#6b7385", "text-rotation": "autorotate" } }
        ],
        layout: { name: "preset" },
        maxZoom: 2
      });
      window.spacekgLayout(cy, { idealEdgeLength: () => 90 });
      window.spacekgResultGraph = cy;
    }
  }
  Yasgui.Yasr.registerPlugin("graph", GraphPlugin);

  // Results naming countries: the world map, the result's countries coloured, each linked.
  const countriesEl = document.getElementById("countries-data");
  const countries = countriesEl ? JSON.parse(countriesEl.textContent) : [];
  const byIri = new Map(countries.map(function (c) { return [c.iri, c]; }));
  class MapPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 4; this.label = t("sparql_view_map"); this.hideFromSelection = false; }
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
    getIcon() { return icon("M8 1a7 7 0 1 0 .01 0M1 8h14M8 1c-3 3-3 11 0 14M8 1c3 3 3 11 0 14M2.5 4.5h11M2.5 11.5h11"); }
    draw() {
      const figure = document.createElement("figure");
      figure.className = "world-map yasr-map";
      figure.dataset.atlas = countriesEl.dataset.atlas;
      figure.dataset.roles = JSON.stringify({ result: t("role_result") });
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
    getIcon() { return icon("M8 2v8M8 13v1"); }
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
      const status = (info && info.status) || err.status;
      title.textContent = (status ? status + " " : "") +
        (M["http_" + status] || (info && info.title) || err.statusText || t("sparql_query_failed"));
      const message = document.createElement("p");
      message.className = "message";
      // the query engine's own words (English): marked so, with a sentence of ours before it
      message.textContent = (info && info.message) || err.text || body || t("sparql_no_answer");
      if (pageLang !== "en" && isLatin(message.textContent)) message.lang = "en";
      box.append(title, message);
      if (info && info.line) {
        const where = document.createElement("p");
        where.className = "where";
        where.textContent = info.column ? t("sparql_line_column", info.line, info.column) : t("sparql_line", info.line);
        box.append(where);
        let query = "";
        try { query = window.spacekgYasgui.getTab().getQuery(); } catch (e) { query = ""; }
        const line = query.split("\n")[info.line - 1];
        if (line !== undefined) {
          const pre = document.createElement("pre");
          pre.textContent = line + "\n" + " ".repeat(Math.max(0, (info.column || 1) - 1)) + "^";
          pre.lang = "en";
          box.append(pre);
        }
      }
      this.yasr.resultsEl.appendChild(box);
    }
  }
  Yasgui.Yasr.registerPlugin("error", ErrorPlugin);

  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    tabName: t("sparql_tab"),
    copyEndpointOnNewTab: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { value: starter },
    yasr: { prefixes: prefixes, pluginOrder: ["table", "map", "graph", "response"], defaultPlugin: "table" }
  });
  window.spacekgYasgui = yasgui;

  // once a result is drawn, fetch its IRIs' labels; drawn again when new ones came
  function watch(tab) {
    const yasr = tab && tab.getYasr && tab.getYasr();
    if (!yasr || yasr.spacekgWatched) return;
    yasr.spacekgWatched = true;
    yasr.on("drawn", function () {
      if (!yasr.results || yasr.results.getError()) return;
      fetchLabels(yasr.results).then(function (added) { if (added) yasr.refresh(); });
    });
  }
  watch(yasgui.getTab());
  yasgui.on("tabAdd", function (instance, id) { setTimeout(function () { watch(yasgui.getTab(id)); }, 0); });
  yasgui.on("tabSelect", function (instance, id) { setTimeout(function () { watch(yasgui.getTab(id)); }, 0); });

  translate(document.getElementById("yasgui"));

  function runExample(slug) {
    const ex = examples.find(function (e) { return e.slug === slug; });
    if (!ex) return;
    const tab = yasgui.addTab(true, { name: ex.slug.replace(/^(\d+)-.*/, "Q$1"),
                                      requestConfig: { endpoint: endpoint, method: "POST" } });
    const target = tab || yasgui.getTab();
    target.setQuery(withoutPredeclared(ex.query));
    target.query();
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
