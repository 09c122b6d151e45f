// English interface words on a page meant to be Chinese: the visible texts (and the titles,
// placeholders and labels people read) that hold a Latin word and no Chinese character,
// outside text marked lang="en" (the data's English names and renderings), code and the
// query editor. A Chinese sentence citing a name ("SpaceLand 公司") is Chinese. Technical
// names that have no translation (SPARQL, CSV, file names, A/AC.105/1294…) are allowed.
(allowed) => {
  const ALLOWED = new Set(allowed);
  const HAN = /[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/;
  const TECHNICAL = [
    /https?:\/\/\S+/g,                                   // addresses
    /\b[\w-]+\.(?:nq|trig|ttl|jsonld|graphml|gexf|csv|gz|json|rq)\b/g,  // file names
    /\bA\/AC\.\d+\/\d+/g,                                // UN document symbols
    /\b[a-z]+:[A-Za-z][\w-]*/g,                          // prefixed names (skg:Mission)
  ];
  const found = [];
  const excluded = (el) => el.closest('[lang^="en"], [translate="no"], code, pre, kbd, samp, .CodeMirror, script, style, noscript, svg title');
  function english(text) {
    if (!text || HAN.test(text)) return [];
    let rest = text;
    for (const pattern of TECHNICAL) rest = rest.replace(pattern, " ");
    // a word has two letters or more: "P1" (an annex clause), "T01" (a time) are numbers
    return (rest.match(/[A-Za-z0-9][A-Za-z0-9'’-]*/g) || [])
      .map((w) => w.replace(/[-'’]+$/, ""))
      .filter((w) => (w.match(/[A-Za-z]/g) || []).length >= 2 && !ALLOWED.has(w));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || excluded(el) || !el.getClientRects().length) continue;
    const words = english(node.nodeValue);
    if (words.length) found.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""}: ${node.nodeValue.trim().slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("[title], [placeholder], [aria-label], [alt]")) {
    if (excluded(el)) continue;
    for (const name of ["title", "placeholder", "aria-label", "alt"]) {
      const words = english(el.getAttribute(name));
      if (words.length) found.push(`${el.tagName.toLowerCase()}[${name}]: ${el.getAttribute(name).slice(0, 80)}`);
    }
  }
  return found;
}
