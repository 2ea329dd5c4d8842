/* The case page's process diagram: the case's own process version drawn by the vendored
   bpmn-js navigated viewer, finished elements and the current position marked, centred on the
   current step. Drag pans; the mouse wheel zooms around the pointer (the viewer's own wheel
   scrolls, which on a page people scroll through feels broken); the toolbar's buttons zoom in,
   zoom out, fit the whole process and return to the current step. */
(function () {
  "use strict";

  var WHEEL_SCALE = 0.75;  // diagram-js ZoomScroll's default, so wheel and Ctrl+wheel feel the same

  /* Show `element` in the middle of the canvas at `scale`. */
  function centreOn(canvas, element, scale) {
    var outer = canvas.viewbox().outer;
    var width = outer.width / scale, height = outer.height / scale;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function wheelZoom(container, zoomScroll) {
    container.addEventListener("wheel", function (event) {
      event.preventDefault();
      event.stopPropagation();  // before the viewer's own handler, which would scroll
      var rect = container.getBoundingClientRect();
      var factor = -WHEEL_SCALE * (event.deltaMode === 0 ? 0.02 : 0.32);
      var delta = Math.sqrt(event.deltaY * event.deltaY + event.deltaX * event.deltaX) *
        Math.sign(event.deltaY || event.deltaX) * factor;
      zoomScroll.zoom(delta, { x: event.clientX - rect.left, y: event.clientY - rect.top });
    }, { capture: true, passive: false });
  }

  function toolbar(section, canvas, zoomScroll, showCurrent) {
    var actions = {
      "zoom-in": function () { zoomScroll.stepZoom(1); },
      "zoom-out": function () { zoomScroll.stepZoom(-1); },
      "fit": function () { canvas.zoom("fit-viewport", "auto"); },
      "current": showCurrent
    };
    section.querySelectorAll("[data-diagram-action]").forEach(function (button) {
      var action = actions[button.dataset.diagramAction];
      if (!action) { return; }
      button.disabled = false;
      button.addEventListener("click", action);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("case-diagram");
    if (!container) { return; }
    var section = container.closest("section") || document;
    fetch(container.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        var viewer = new BpmnJS({ container: container });
        return viewer.importXML(answer.xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          var zoomScroll = viewer.get("zoomScroll");
          answer.done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "huiyin-done"); } });
          answer.current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "huiyin-current"); } });
          var current = answer.current.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
          function showCurrent() {
            if (current) {
              centreOn(canvas, current, 1);  // full size: the current step and its neighbours readable
            } else {
              canvas.zoom("fit-viewport", "auto");
            }
          }
          showCurrent();
          wheelZoom(container, zoomScroll);
          toolbar(section, canvas, zoomScroll, showCurrent);
          if (current) { container.dataset.current = current.id; }
          container.dataset.ready = "true";
        });
      });
  });
}());
