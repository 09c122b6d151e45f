// One layout for every graph on the site (explorer, partnership network, SPARQL results):
// fCoSE with each label counted in its node's box, run again (at most four times) while two
// labels still touch, then shown at 100 % or more so the 12 px labels read at first sight.
(function () {
  "use strict";
  function overlapping(cy) {
    const boxes = cy.nodes(":visible").map((n) => n.boundingBox({ includeLabels: true, includeOverlays: false }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) return true;
      }
    }
    return false;
  }
  window.spacekgLayout = function (cy, options) {
    const settings = Object.assign({
      name: window.cytoscapeFcose ? "fcose" : "cose", animate: false, quality: "proof",
      randomize: true, nodeDimensionsIncludeLabels: true, nodeSeparation: 30,
      idealEdgeLength: () => 50, nodeRepulsion: () => 4500, gravity: 0.4,
      packComponents: true, fit: true, padding: 20,
    }, options || {});
    for (let attempt = 0; attempt < 4; attempt++) {
      cy.layout(Object.assign({}, settings, attempt ? { randomize: true } : {})).run();
      if (!overlapping(cy)) break;
    }
    if (cy.zoom() < 1) {
      const focus = settings.focus && cy.getElementById(settings.focus);
      cy.zoom(1);
      cy.center(focus && focus.length ? focus : undefined);
    }
  };
})();
