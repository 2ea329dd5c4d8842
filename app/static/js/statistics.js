/* The statistics pages (统计分析, 亮晒比): draws each chart with the vendored Chart.js from the data
   the server wrote into its canvas's data-chart attribute (no inline script: the
   Content-Security-Policy forbids them); turns a hot spots panel that cannot load into a short
   note instead of an error; opens the next level of the territory picker as soon as one is
   picked; and switches the period to "custom range" when a day is typed. */
(function () {
  "use strict";

  function percent(value) { return value + "%"; }

  function config(spec) {
    var scale = { beginAtZero: true, ticks: { precision: 0 } };
    if (spec.percent) { scale.max = 100; scale.ticks = { callback: percent }; }
    var many = spec.labels.length > 40;
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set) {
          return { label: set.label, data: set.data, backgroundColor: set.color, borderColor: set.color,
                   pointRadius: many ? 0 : 3, tension: 0.2 };
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: spec.horizontal ? { x: scale } : { y: scale },
        plugins: { legend: { display: spec.datasets.length > 1, position: "bottom" } }
      }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart !== "undefined") {
      document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
        new Chart(canvas, config(JSON.parse(canvas.dataset.chart)));
        canvas.dataset.ready = "true";
      });
    }
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    var period = document.getElementById("f-period");
    document.querySelectorAll("input[data-custom-period]").forEach(function (input) {
      input.addEventListener("change", function () { if (period) { period.value = "custom"; } });
    });
  });

  /* The hot spots fragment comes from another part of the product; when it answers with an
     error (404: not installed) the panel says so in a sentence, and nothing else changes. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var panel = event.detail.elt;
    if (!panel || !panel.hasAttribute("data-unavailable") || event.detail.xhr.status < 400) { return; }
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    panel.textContent = event.detail.xhr.status === 404 ? panel.dataset.unavailable : panel.dataset.failed;
    panel.dataset.state = "unavailable";
  });
}());
