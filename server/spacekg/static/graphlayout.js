// One layout for every graph on the site (explorer, partnership network, SPARQL results):
// fCoSE with each label counted in its node's box, run again (at most six times) while two
// labels still touch, then shown at 100 % or more so the 12 px labels read at first sight.
(function () {
  "use strict";
  function overlaps(cy) {
    const boxes = cy.nodes(":visible").map((n) => n.boundingBox({ includeLabels: true, includeOverlays: false }));
    let count = 0;
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) count++;
      }
    }
    return count;
  }
  window.spacekgLayout = function (cy, options) {
    const settings = Object.assign({
      name: window.cytoscapeFcose ? "fcose" : "cose", animate: false, quality: "proof",
      randomize: true, nodeDimensionsIncludeLabels: true, nodeSeparation: 30,
      idealEdgeLength: () => 50, nodeRepulsion: () => 4500, gravity: 0.4,
      packComponents: true, fit: true, padding: 20,
    }, options || {});
    // the first run keeps the nodes' places when asked; later runs start afresh; the run
    // with the fewest touching labels (none, nearly always) is the one shown
    let best = null, fewest = Infinity;
    for (let attempt = 0; attempt < 6 && fewest > 0; attempt++) {
      cy.layout(Object.assign({}, settings, attempt ? { randomize: true } : {})).run();
      const count = overlaps(cy);
      if (count < fewest) {
        fewest = count;
        best = cy.nodes().map((n) => [n, Object.assign({}, n.position())]);
      }
    }
    if (best && overlaps(cy) > fewest) {
      best.forEach(([n, at]) => n.position(at));
      cy.fit(undefined, settings.padding);
    }
    if (cy.zoom() < 1) {
      const focus = settings.focus && cy.getElementById(settings.focus);
      cy.zoom(1);
      cy.center(focus && focus.length ? focus : undefined);
    }
  };
})();
