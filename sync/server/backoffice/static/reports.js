// SPDX-License-Identifier: GPL-3.0-or-later
// The reports' charts: each <canvas data-chart="…"> carries what sync.server.reports.shown wrote (labels,
// series, which axis each goes on) and is drawn by the vendored Chart.js. The table beside it holds the
// same numbers, for readers and for anyone without script.
(function () {
  "use strict";

  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var stacked = spec.kind === "stacked";
    var money = spec.series.some(function (s) { return s.axis === "money"; });
    var counts = spec.series.some(function (s) { return s.axis === "count"; });
    var twoAxes = money && counts;
    var datasets = spec.series.map(function (s) {
      return { label: s.label, data: s.data, yAxisID: twoAxes && s.axis === "money" ? "money" : "y",
               tension: 0.2, pointRadius: 2 };
    });
    var scales = {
      x: { stacked: stacked, reverse: spec.rtl },
      y: { stacked: stacked, beginAtZero: true, position: spec.rtl ? "right" : "left" }
    };
    if (twoAxes) {
      scales.money = { beginAtZero: true, position: spec.rtl ? "left" : "right", grid: { drawOnChartArea: false } };
    }
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: spec.rtl ? "fa-IR" : "en-US",
        plugins: {
          legend: { rtl: spec.rtl, textDirection: spec.rtl ? "rtl" : "ltr" },
          tooltip: { rtl: spec.rtl, textDirection: spec.rtl ? "rtl" : "ltr" }
        },
        scales: scales
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) { return; }
    window.Chart.defaults.font.family = "Vazirmatn, system-ui, sans-serif";
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
