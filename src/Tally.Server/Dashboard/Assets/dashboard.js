// The dashboard's only script: confirmation before an action, and the usage chart. Pages work without it
// (an action then submits without the prompt; the chart's numbers are in the table beside it).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  var data = document.getElementById("chart-data");
  var target = document.getElementById("chart");
  if (!data || !target || typeof uPlot === "undefined") { return; }
  var chart = JSON.parse(data.textContent);
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var palette = ["#2457d6", "#d6542a", "#1d7a36", "#9b36c9", "#b76e00", "#00838f", "#c2185b", "#5d6d7e"];
  var axis = { stroke: dark ? "#a0a7b4" : "#5f6673", grid: { stroke: dark ? "#343841" : "#e3e5e9" } };
  var series = [{}];
  chart.series.forEach(function (s, i) {
    series.push({ label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: chart.x.length < 60 } });
  });
  var opts = {
    width: Math.max(320, target.clientWidth || 800), height: 300, series: series, axes: [axis, axis],
    scales: { x: { time: true } }
  };
  var plot = new uPlot(opts, [chart.x].concat(chart.series.map(function (s) { return s.values; })), target);
  target.setAttribute("data-rendered-points", String(chart.x.length));
  target.setAttribute("data-rendered-series", String(chart.series.length));
  window.addEventListener("resize", function () { plot.setSize({ width: Math.max(320, target.clientWidth), height: 300 }); });
})();
