/* Draws every report chart from the JSON the page carries next to it (a <script type="application/json">,
   never executed), with Chart.js served from our own static files. The table under each chart holds
   the same numbers for screen readers, printing and CSV. No inline script: works under a strict CSP. */
(function () {
  "use strict";

  function money(v) { return "$" + Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 }); }
  function percent(v) { return (Number(v) * 100).toFixed(0) + " %"; }
  function seconds(v) {
    v = Number(v);
    if (v < 60) return v.toFixed(0) + " s";
    if (v < 3600) return (v / 60).toFixed(1) + " min";
    return (v / 3600).toFixed(1) + " h";
  }

  function build(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return false;
    var spec = JSON.parse(source.textContent);
    var format = spec.percent ? percent : spec.usd ? money : spec.seconds ? seconds : null;
    var datasets = spec.datasets.map(function (d) {
      var colour = d.colours || d.colour || "#2a7ae2";
      return {
        label: d.label, data: d.data, type: d.type || undefined,
        backgroundColor: colour, borderColor: d.colours ? "#fff" : colour,
        borderWidth: spec.type === "line" || d.type === "line" ? 2 : 1,
        fill: false, tension: 0.2, spanGaps: true, pointRadius: 2
      };
    });
    var round = spec.type === "doughnut" || spec.type === "pie";
    var scales = round ? {} : {
      x: { stacked: !!spec.stacked },
      y: { stacked: !!spec.stacked, beginAtZero: spec.min === undefined, min: spec.min, max: spec.max,
           ticks: format ? { callback: format } : {} }
    };
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.horizontal && !round ? { x: scales.y, y: scales.x } : scales,
        plugins: {
          legend: { display: round || datasets.length > 1 },
          tooltip: format ? { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + format(ctx.parsed[spec.horizontal ? "x" : "y"] ?? ctx.parsed);
          } } } : {}
        }
      }
    });
    canvas.setAttribute("data-rendered", "true");
    return true;
  }

  function drawAll() {
    if (!window.Chart) return;
    var drawn = 0;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      try { if (build(canvas)) drawn += 1; } catch (err) { canvas.setAttribute("data-error", String(err)); }
    });
    document.documentElement.setAttribute("data-charts-drawn", String(drawn));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
