/* Two versions side by side: bpmn-js-differ compares their definitions; added elements are
   coloured on the newer diagram, removed ones on the older, changed ones on both. */
(function () {
  "use strict";
  var H = window.HuiyinBpmn;

  function load(container) {
    return fetch(container.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (bundle) {
        var viewer = new H.NavigatedViewer({ container: container });
        return viewer.importXML(bundle.xml).then(function () {
          viewer.get("canvas").zoom("fit-viewport");
          return viewer;
        });
      });
  }

  function mark(viewer, ids, marker) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    ids.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, marker); } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var oldBox = document.getElementById("diff-old");
    var newBox = document.getElementById("diff-new");
    var table = document.getElementById("diff-changes");
    if (!oldBox || !newBox) { return; }
    Promise.all([load(oldBox), load(newBox)]).then(function (viewers) {
      var changes = H.diff(viewers[0].getDefinitions(), viewers[1].getDefinitions());
      var added = Object.keys(changes._added), removed = Object.keys(changes._removed);
      var changed = Object.keys(changes._changed), moved = Object.keys(changes._layoutChanged);
      mark(viewers[1], added, "diff-added");
      mark(viewers[0], removed, "diff-removed");
      mark(viewers[0], changed, "diff-changed");
      mark(viewers[1], changed, "diff-changed");
      mark(viewers[1], moved, "diff-layout");
      var body = table.querySelector("tbody");
      function row(id, kind, details) {
        var tr = document.createElement("tr");
        tr.dataset.element = id;
        tr.dataset.change = kind;
        [id, table.dataset[kind], details].forEach(function (text) {
          var td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      added.forEach(function (id) { row(id, "added", changes._added[id].name || ""); });
      removed.forEach(function (id) { row(id, "removed", changes._removed[id].name || ""); });
      changed.forEach(function (id) {
        var attrs = changes._changed[id].attrs || {};
        /* bpmn-js-differ 3.2 hands jsondiffpatch's [old, new] to changed(model, key, newValue,
           oldValue), so its "oldValue" holds the newer value: shown here as older → newer. */
        row(id, "changed", Object.keys(attrs).map(function (name) {
          return name + ": " + JSON.stringify(attrs[name].newValue) + " → " + JSON.stringify(attrs[name].oldValue);
        }).join("; "));
      });
      moved.forEach(function (id) { row(id, "layout", ""); });
      if (!body.children.length) {
        var tr = document.createElement("tr"), td = document.createElement("td");
        td.colSpan = 3;
        td.textContent = table.dataset.none;
        tr.appendChild(td);
        body.appendChild(tr);
      }
      table.dataset.ready = "true";
    });
  });
}());
