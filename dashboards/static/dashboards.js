/* Readiness dashboards: draw the figures embedded as JSON and wire the heatmap click-through.
   No inline scripts anywhere, so a strict Content-Security-Policy holds. */
(function () {
  "use strict";

  function drillUrl(el, point) {
    var meta = (el.layout && el.layout.meta) || {};
    var row = Math.round(point.y);
    var col = Math.round(point.x);
    var dept = (meta.departments || [])[row];
    var comp = (meta.competencies || [])[col];
    if (!dept) { return null; }
    var query = el.getAttribute("data-query") || "";
    var extra = comp ? "competency=" + encodeURIComponent(comp) : "";
    var qs = [query, extra].filter(function (s) { return s; }).join("&");
    return el.getAttribute("data-drill") + encodeURIComponent(dept) + (qs ? "?" + qs : "");
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var config = { displaylogo: false, responsive: true,
                   modeBarButtonsToRemove: ["select2d", "lasso2d"] };
    window.Plotly.newPlot(el, spec.data || [], spec.layout || {}, config).then(function () {
      el.setAttribute("data-ready", "true");
    });
    if (el.hasAttribute("data-drill")) {
      el.on("plotly_click", function (ev) {
        if (!ev || !ev.points || !ev.points.length) { return; }
        var url = drillUrl(el, ev.points[0]);
        if (url) { window.location.assign(url); }
      });
    }
  }

  function autoSubmit() {
    var forms = document.querySelectorAll("form.filters, form.task");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("change", function (ev) {
        if (ev.target && ev.target.tagName === "SELECT") { form.submit(); }
      });
    });
  }

  function start() {
    var figures = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(figures, draw);
    autoSubmit();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
