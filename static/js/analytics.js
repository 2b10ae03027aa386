/* Charts of the analytics page and the overview cards' sparklines (Chart.js, bundled).
   Every chart has a table with the same numbers next to it. */
(function () {
  "use strict";
  var COLORS = ["#6366f1", "#22c55e", "#f59e0b", "#0ea5e9"];

  function sparklines() {
    document.querySelectorAll("canvas.sparkline[data-spark]").forEach(function (canvas) {
      var raw = canvas.getAttribute("data-spark");
      if (!raw) return;
      var values = raw.split(",").map(Number);
      new window.Chart(canvas, {
        type: "line",
        data: { labels: values.map(function (_, i) { return i; }), datasets: [{ data: values, borderColor: COLORS[0], borderWidth: 1.5, pointRadius: 0, fill: false, tension: 0.3 }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false, beginAtZero: true } } }
      });
    });
  }

  function bar(id, labels, datasets, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: datasets.length > 1 } } }
    });
  }

  function charts() {
    var node = document.getElementById("analytics-charts");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    var l = data.labels, c = data.channels;
    bar("chart-channels", c.labels, [
      { label: l.leads, data: c.created, backgroundColor: COLORS[0] },
      { label: l.contacted, data: c.contacted, backgroundColor: COLORS[3] },
      { label: l.booked, data: c.booked, backgroundColor: COLORS[2] },
      { label: l.won, data: c.won, backgroundColor: COLORS[1] }
    ]);
    bar("chart-funnel", [l.leads, l.contacted, l.booked, l.won], [{ label: l.leads, data: data.funnel, backgroundColor: COLORS }], true);
    bar("chart-ttfc", data.ttfc.labels, [{ label: l.leads, data: data.ttfc.counts, backgroundColor: COLORS[0] }]);
    var trend = document.getElementById("chart-trend");
    if (trend) {
      new window.Chart(trend, {
        type: "line",
        data: { labels: data.trend.labels, datasets: [{ label: l.mean_minutes, data: data.trend.minutes, borderColor: COLORS[0], spanGaps: true, pointRadius: 0 }] },
        options: { responsive: true, maintainAspectRatio: false }
      });
    }
  }

  function start() {
    if (!window.Chart) return;
    sparklines();
    charts();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
