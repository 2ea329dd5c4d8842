// The monthly report's charts (app/templates/analysis/report.html): each <canvas data-chart> holds a
// Chart.js configuration the server built (app/statistics/report.py, charts); no inline scripts.
(function () {
  "use strict";
  function draw(canvas) {
    var chart = JSON.parse(canvas.getAttribute("data-chart"));
    new window.Chart(canvas, {
      type: chart.type,
      data: chart.data,
      options: {
        indexAxis: chart.horizontal ? "y" : "x",
        animation: false,  // a printed page shows the finished chart
        responsive: true,
        maintainAspectRatio: true,
        plugins: { legend: { display: chart.data.datasets.length > 1 } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.Chart) {
      document.querySelectorAll("canvas[data-chart]").forEach(draw);
    }
    var print = document.getElementById("print-report");
    if (print) {
      print.addEventListener("click", function () { window.print(); });
    }
  });
})();
