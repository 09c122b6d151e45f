// The interface strings of the reader's language (the page carries its catalogue as JSON),
// typeahead over /api/search for every search box, and the language toggle.
(function () {
  "use strict";
  const catalogue = document.getElementById("messages");
  const messages = catalogue ? JSON.parse(catalogue.textContent) : {};
  // spacekgT(KEY, a, b): the catalogue's text with {0}, {1} filled in; KEY itself if missing
  window.spacekgMessages = messages;
  window.spacekgT = function (key) {
    const args = Array.prototype.slice.call(arguments, 1);
    const text = key in messages ? messages[key] : key;
    return text.replace(/\{(\d+)\}/g, function (m, i) { return i < args.length ? String(args[i]) : m; });
  };
  function typeahead(input, list) {
    if (!input || !list) return;
    let timer = null, items = [], active = -1, seq = 0;
    function close() { list.hidden = true; list.innerHTML = ""; active = -1; }
    function render() {
      list.innerHTML = "";
      items.forEach(function (r, i) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.className = i === active ? "active" : "";
        const a = document.createElement("a");
        a.href = r.url;
        a.textContent = r.label;
        li.appendChild(a);
        if (r.other_label) {
          const o = document.createElement("span");
          o.className = "other-label"; o.textContent = " " + r.other_label;
          li.appendChild(o);
        }
        if (r.classes.length) {
          const c = document.createElement("span");
          c.className = "type small"; c.textContent = r.classes[0];
          li.appendChild(c);
        }
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      const q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        const mine = ++seq;
        fetch("/api/search?limit=8&q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (data) { if (mine === seq) { items = data.results; active = -1; render(); } });
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); render(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { window.location = items[active].url; e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) close(); });
  }
  typeahead(document.getElementById("search-input"), document.getElementById("search-suggestions"));
  typeahead(document.getElementById("home-search"), document.getElementById("home-suggestions"));
  document.addEventListener("click", function (e) {
    const q = e.target.closest("blockquote.quote");
    if (q && !e.target.closest("a")) q.classList.toggle("open");
  });
  // keep the current page (and its hash) when switching language
  document.querySelectorAll(".lang-toggle a").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      const url = new URL(window.location.href);
      url.searchParams.set("lang", a.dataset.lang);
      window.location = url.toString();
    });
  });
})();
