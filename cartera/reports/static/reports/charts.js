// Report charts. Data comes from a json_script element next to each canvas (CSP: no
// inline scripts). Amounts arrive as decimal strings; they become numbers only to draw.
(function () {
  "use strict";
  var COLORS = ["#1570ef", "#f79009", "#12b76a", "#d92d20", "#7a5af8", "#667085"];

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var datasets = (spec.series || []).map(function (serie, index) {
      var color = COLORS[index % COLORS.length];
      return {
        label: serie.label,
        data: serie.data.map(function (v) { return v === null ? null : parseFloat(v); }),
        backgroundColor: spec.type === "doughnut" ? COLORS : color,
        borderColor: color,
        spanGaps: true
      };
    });
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
