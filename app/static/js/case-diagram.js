/* The case page's process diagram: the case's own process version drawn by the vendored
   bpmn-js viewer, finished elements and the current position marked. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("case-diagram");
    if (!container) { return; }
    fetch(container.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        var viewer = new BpmnJS({ container: container });
        return viewer.importXML(answer.xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          answer.done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "huiyin-done"); } });
          answer.current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "huiyin-current"); } });
          canvas.zoom("fit-viewport");
          if (answer.current.length && registry.get(answer.current[0])) {
            canvas.scrollToElement(registry.get(answer.current[0]));
          }
          container.dataset.ready = "true";
        });
      });
  });
}());
