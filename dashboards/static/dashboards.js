/* Readiness dashboards: draw the figures embedded as JSON and wire the heatmap click-through.
   No inline scripts anywhere, so a strict Content-Security-Policy holds.
   Phone widths: a figure whose container is narrower than NARROW px is drawn with the
   overrides in layout.meta.narrow deep-merged over its layout (one column, small margins,
   legends below); a ResizeObserver re-fits each figure when its container changes width and
   re-draws it when it crosses the breakpoint. */
(function () {
  "use strict";
  var NARROW = 600;

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

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function merge(base, over) {
    var out = {};
    Object.keys(base).forEach(function (k) { out[k] = base[k]; });
    Object.keys(over).forEach(function (k) {
      out[k] = isObject(out[k]) && isObject(over[k]) ? merge(out[k], over[k]) : over[k];
    });
    return out;
  }

  /* Break a title or note into lines that fit ``width`` px (``charPx`` a character: about 8 at
     15-16 px, 6.5 at 11 px), at spaces, so no phone text is cut at the container's edge. */
  function wrapTitle(text, width, charPx) {
    var perLine = Math.max(10, Math.floor((width - 20) / (charPx || 8)));
    if (typeof text !== "string" || text.length <= perLine || text.indexOf("<br>") >= 0) {
      return text;
    }
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > perLine) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function layoutFor(el, spec) {
    var layout = spec.layout || {};
    var narrow = layout.meta && layout.meta.narrow;
    var isNarrow = el.clientWidth < NARROW;
    el.setAttribute("data-narrow", isNarrow ? "true" : "false");
    if (!isNarrow) { return layout; }
    var out = narrow ? merge(layout, narrow) : merge(layout, {});
    if (out.title && isObject(out.title) && typeof out.title.text === "string") {
      var wrapped = wrapTitle(out.title.text, el.clientWidth);
      if (wrapped !== out.title.text) {
        var lines = wrapped.split("<br>").length;
        var margin = merge(out.margin || {}, {});
        var headers = (out.annotations || []).some(function (n) { return n.yanchor === "bottom"; });
        margin.t = Math.max(margin.t || 0, 32 + 20 * lines + (headers ? 22 : 0));
        /* pad 18: a wrapped title's first line sits ~5 px above its anchor, so a pad of 10
           cut the tops of its letters at the figure's edge */
        out = merge(out, { title: { text: wrapped, yref: "container", y: 1, yanchor: "top",
                                    pad: { t: 18 } }, margin: margin });
      }
    }
    if (Array.isArray(out.annotations)) {
      out.annotations = out.annotations.map(function (note) {
        if (note.xref !== "paper" || typeof note.text !== "string") { return note; }
        if (note.x === 0 && note.xanchor === "left") {
          return merge(note, { text: wrapTitle(note.text, el.clientWidth, 6.5), align: "left" });
        }
        if (note.xanchor === "center" && note.yanchor === "bottom") {  /* a panel's header */
          var room = 2 * Math.min(note.x, 1 - note.x) * el.clientWidth + 20;
          return merge(note, { text: wrapTitle(note.text, room, 7) });
        }
        return note;
      });
    }
    return out;
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    el._spec = spec;
    var layout = layoutFor(el, spec);
    var config = { displaylogo: false, responsive: false,
                   displayModeBar: el.getAttribute("data-narrow") === "true" ? false : "hover",
                   modeBarButtonsToRemove: ["select2d", "lasso2d"] };
    window.Plotly.newPlot(el, spec.data || [], layout, config).then(function () {
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

  function refit(el) {
    /* The container changed width (window resize, a scrollbar appearing, a panel shown):
       re-lay the figure when it crossed the phone breakpoint, else just resize it. Debounced
       here (Plotly's own responsive mode is off: a superseded Plotly resize never settles). */
    if (!el._spec || !el.clientWidth || !el.offsetParent) { return; }
    el.setAttribute("data-ready", "false");
    window.clearTimeout(el._fitTimer);
    el._fitTimer = window.setTimeout(function () {
      var was = el.getAttribute("data-narrow") === "true";
      var done = was !== (el.clientWidth < NARROW)
        ? window.Plotly.react(el, el._spec.data || [], layoutFor(el, el._spec))
        : window.Plotly.Plots.resize(el);
      var settle = function () { el.setAttribute("data-ready", "true"); };
      Promise.resolve(done).then(settle, settle);
    }, 60);
  }

  function watch(figures) {
    if (!window.ResizeObserver) {
      window.addEventListener("resize", function () {
        Array.prototype.forEach.call(figures, refit);
      });
      return;
    }
    var widths = new WeakMap();
    var observer = new window.ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        var width = Math.round(entry.contentRect.width);
        if (widths.get(entry.target) !== width) {
          widths.set(entry.target, width);
          refit(entry.target);
        }
      });
    });
    Array.prototype.forEach.call(figures, function (el) { observer.observe(el); });
  }

  function autoSubmit() {
    var forms = document.querySelectorAll("form.filters, form.task");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("change", function (ev) {
        if (ev.target && ev.target.tagName === "SELECT") { form.submit(); }
      });
    });
  }

  function fullGrid() {
    /* Phone: the heatmap panel shows the ranked flagged cells; this button reveals the grid. */
    var buttons = document.querySelectorAll("button[data-show-grid]");
    Array.prototype.forEach.call(buttons, function (btn) {
      btn.addEventListener("click", function () {
        var panel = document.getElementById(btn.getAttribute("data-show-grid"));
        if (!panel) { return; }
        var on = panel.classList.toggle("show-grid");
        btn.setAttribute("aria-expanded", on ? "true" : "false");
        btn.textContent = on ? "Hide the full grid" : "Show the full grid";
        var fig = panel.querySelector("[data-figure]");
        if (on && fig) { refit(fig); }
      });
    });
  }

  function foldFilters() {
    /* Phone: the filter bar folds to its summary line (it stays open on a desk, and without
       scripts); crossing the breakpoint folds or unfolds it again. */
    var box = document.getElementById("filters-box");
    if (!box || !window.matchMedia) { return; }
    var phone = window.matchMedia("(max-width: 700px)");
    var fit = function () { box.open = !phone.matches; };
    fit();
    if (phone.addEventListener) { phone.addEventListener("change", fit); }
  }

  function start() {
    foldFilters();
    var figures = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(figures, draw);
    autoSubmit();
    fullGrid();
    watch(figures);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
