/* A version's diagram in the workbench (bpmn-js viewer) with the heatmap: on each step, the
   number of open cases waiting there, shaded by how many. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("designer-view");
    if (!container) { return; }
    fetch(container.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (bundle) {
        var viewer = new BpmnJS({ container: container });
        return viewer.importXML(bundle.xml).then(function () {
          var canvas = viewer.get("canvas");
          var overlays = viewer.get("overlays");
          var registry = viewer.get("elementRegistry");
          var most = Math.max.apply(null, [1].concat(Object.values(bundle.waiting)));
          Object.keys(bundle.waiting).forEach(function (id) {
            if (!registry.get(id)) { return; }
            var badge = document.createElement("span");
            var share = bundle.waiting[id] / most;
            badge.className = "heat heat-" + (share > 0.66 ? "high" : share > 0.33 ? "mid" : "low");
            badge.dataset.element = id;
            badge.textContent = String(bundle.waiting[id]);
            overlays.add(id, "heat", { position: { top: -12, right: 12 }, html: badge });
            canvas.addMarker(id, "heat-marked");
          });
          canvas.zoom("fit-viewport");
          container.dataset.ready = "true";
        });
      });
  });
}());
