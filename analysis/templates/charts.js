// The report's time charts with uPlot: drag to zoom (every chart follows), a phase
// button zooms to that phase, the cursor shows each series' value in the legend.
// Data: the JSON in #chart-data, built by analysis/charts.py (the PNGs' own series).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const shades = ["rgba(0, 0, 0, 0.05)", "rgba(31, 119, 180, 0.09)"];
  const plots = [];
  let zooming = false;

  function zoomAll(min, max, origin) {
    zooming = true;
    plots.forEach(function (plot) {
      if (plot !== origin) plot.setScale("x", {min: min, max: max});
    });
    zooming = false;
  }

  function phaseBands(plot, labelled) {
    const ctx = plot.ctx;
    ctx.save();
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "top";
    data.phases.forEach(function (phase, index) {
      const left = Math.max(plot.valToPos(phase.start, "x", true), plot.bbox.left);
      const right = Math.min(plot.valToPos(phase.end, "x", true),
                             plot.bbox.left + plot.bbox.width);
      if (right <= left) return;
      ctx.fillStyle = shades[index % 2];
      ctx.fillRect(left, plot.bbox.top, right - left, plot.bbox.height);
      if (labelled) {
        ctx.fillStyle = "#555";
        ctx.fillText(phase.label, left + 3, plot.bbox.top + 2);
      }
    });
    ctx.restore();
  }

  function limitLines(plot, limits) {
    const ctx = plot.ctx;
    ctx.save();
    ctx.setLineDash([4, 4]);
    ctx.font = "11px sans-serif";
    ctx.textAlign = "right";
    limits.forEach(function (limit) {
      const y = plot.valToPos(limit.y, "y", true);
      ctx.strokeStyle = ctx.fillStyle = limit.color;
      ctx.beginPath();
      ctx.moveTo(plot.bbox.left, y);
      ctx.lineTo(plot.bbox.left + plot.bbox.width, y);
      ctx.stroke();
      ctx.fillText(limit.label, plot.bbox.left + plot.bbox.width - 4, y - 4);
    });
    ctx.restore();
  }

  function yRange(panel) {
    const limits = panel.limits.map(function (limit) { return limit.y; });
    return function (plot, min, max) {
      const top = Math.max(max === null ? 0 : max, ...limits);
      if (panel.log) return [min, top * 1.1];
      return [panel.from_zero ? 0 : min, top > 0 ? top * 1.05 : 1];
    };
  }

  function clock(seconds) {
    return new Date(seconds * 1000).toISOString().slice(11, 19);
  }

  function timeValue(plot, value) {
    return value === null ? "--" : clock(value) + " UTC";
  }

  zooming = true;  // each chart ranges itself while built; then all share the run's span
  data.charts.forEach(function (chart) {
    const host = document.querySelector('[data-chart="' + chart.name + '"] .chart-host');
    if (!host) return;
    const width = Math.max(host.clientWidth, 600);
    chart.panels.forEach(function (panel, panelIndex) {
      const last = panelIndex === chart.panels.length - 1;
      const series = panel.series.map(function (item, index) {
        return {label: item.label, stroke: item.color || palette[index % palette.length],
                width: 1.5, dash: item.dashed ? [6, 4] : undefined,
                value: function (plot, value) {
                  return value === null ? "--" : Number(value.toPrecision(4)).toString();
                }};
      });
      const options = {
        width: width, height: Math.round(150 * panel.weight) + (last ? 40 : 0),
        padding: [8, 24, 8, 0],  // the same right edge on every panel, x axis or not
        cursor: {sync: {key: "esppd"}, drag: {x: true, y: false}},
        scales: {x: {time: true}, y: {distr: panel.log ? 3 : 1, range: yRange(panel)}},
        axes: [{show: last, label: "time (UTC)", labelSize: 20,
                 values: function (plot, splits) { return splits.map(clock); }},
                {label: panel.ylabel, size: 60}],
        series: [{label: "time", value: timeValue}].concat(series),
        hooks: {
          drawClear: [function (plot) { phaseBands(plot, panelIndex === 0); }],
          draw: [function (plot) { limitLines(plot, panel.limits); }],
          setScale: [function (plot, key) {
            if (key === "x" && !zooming) zoomAll(plot.scales.x.min, plot.scales.x.max, plot);
          }],
        },
      };
      const values = [chart.x].concat(panel.series.map(function (item) { return item.values; }));
      plots.push(new uPlot(options, values, host));
    });
  });

  zooming = false;
  const xs = data.charts.filter(function (chart) { return chart.x.length; });
  if (xs.length) {  // the x arrays are sorted: the span is their ends
    zoomAll(Math.min.apply(null, xs.map(function (chart) { return chart.x[0]; })),
            Math.max.apply(null, xs.map(function (chart) { return chart.x[chart.x.length - 1]; })),
            null);
  }

  window.esppdCharts = plots;  // for the browser console (and the report's browser test)

  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      const span = button.getAttribute("data-zoom").split(",").map(Number);
      zoomAll(span[0], span[1], null);
    });
  });
})();
