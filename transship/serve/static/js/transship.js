/* transship web UI: sortable and filterable tables, charts (Apache ECharts, served from
 * /static/vendor), the upload form. No inline script anywhere (the pages' CSP forbids it):
 * each page's data is a <script type="application/json" id="page-data"> block, read here.
 * Text from data is put into the page with textContent only, never innerHTML; chart tooltips,
 * which ECharts writes as HTML, escape every value with esc(). */
(function () {
  "use strict";

  function pageData() {
    var el = document.getElementById("page-data");
    if (!el) return {};
    try { return JSON.parse(el.textContent || "{}"); } catch (e) { return {}; }
  }

  /* -- tables ---------------------------------------------------------------------------- */
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) return kind === "num" ? -Infinity : "";
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (kind === "num") {
      var n = parseFloat(String(raw).replace(/[^0-9eE+\-.]/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return String(raw).trim().toLowerCase();
  }

  function sortTable(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var kind = th.getAttribute("data-kind") || "text";
    var current = th.getAttribute("aria-sort");
    var ascending = current !== "ascending";
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      if (x < y) return ascending ? -1 : 1;
      if (x > y) return ascending ? 1 : -1;
      return 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function setupTables() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var head = table.tHead;
      if (!head) return;
      head.querySelectorAll("th button.sort").forEach(function (button) {
        button.addEventListener("click", function () { sortTable(table, button.parentNode); });
      });
    });
    document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter-for"));
      var count = document.querySelector('[data-count-for="' + input.getAttribute("data-filter-for") + '"]');
      if (!table || !table.tBodies[0]) return;
      function apply() {
        var needle = input.value.trim().toLowerCase();
        var shown = 0, all = 0;
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          all += 1;
          var hit = !needle || row.textContent.toLowerCase().indexOf(needle) >= 0;
          row.hidden = !hit;
          if (hit) shown += 1;
        });
        if (count) count.textContent = needle ? shown + " of " + all + " shown" : "";
      }
      input.addEventListener("input", apply);
      apply();
    });
  }

  /* -- charts ---------------------------------------------------------------------------- */
  var COLOURS = { origin: "#1f3b5c", intermediary: "#c27c0e", destination: "#a61b29" };
  var charts = [];

  function money(v) {
    if (v === null || v === undefined) return "–";
    var a = Math.abs(v), s = v < 0 ? "-" : "";
    if (a >= 1e9) return s + "$" + (a / 1e9).toFixed(2) + " bn";
    if (a >= 1e6) return s + "$" + (a / 1e6).toFixed(1) + " m";
    if (a >= 1e3) return s + "$" + (a / 1e3).toFixed(0) + " k";
    return s + "$" + a.toFixed(0);
  }

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  /* A band's or a map line's hover: the leg, its value, its largest evidence rows with file
   * and line (escaped: file names and codes are data), and how to see them all. */
  var FLOWS = { M: "reports import from", X: "reports export to", RM: "reports re-import from", RX: "reports re-export to" };
  function legTooltip(text, value, rows, preview) {
    var out = ["<strong>" + esc(text) + "</strong>: " + esc(money(value))];
    (preview || []).forEach(function (e) {
      out.push(esc(e.year) + " " + esc(e.reporter) + " " + esc(FLOWS[e.flow] || e.flow) + " " + esc(e.partner) + " " +
               esc(money(e.value_usd)) + " — " + esc(e.file_name) + ", line " + esc(e.line));
    });
    var more = rows - (preview || []).length;
    out.push(more > 0 ? esc("… " + more + " more of " + rows + " evidence rows: click to open them all")
                      : esc(rows + " evidence rows: click to open them with their records"));
    return out.join("<br>");
  }

  function simulatedMark(data) {
    if (!data.simulated) return [];
    return [{
      type: "text", right: 10, top: 6, z: 100,
      style: { text: "SIMULATED", fill: "#b00020", font: "bold 15px sans-serif" }
    }];
  }

  function base(data) {
    return { animation: false, aria: { enabled: true }, graphic: simulatedMark(data) };
  }

  function make(el) {
    /* global echarts */
    var chart = echarts.init(el, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function go(url) { if (url) window.location.href = url; }

  function sankeyChart(el, data) {
    var s = data.sankey || { nodes: [], links: [] };
    var nodes = s.nodes.map(function (n) {
      return { name: n.id, label_text: n.label, role: n.role, iso3: n.name,
               itemStyle: { color: COLOURS[n.role] || "#666" } };
    });
    var links = s.links.map(function (l) {
      return { source: s.nodes[l.source].id, target: s.nodes[l.target].id, value: l.value,
               url: l.evidence_url, rows: l.record_count, preview: l.evidence_preview,
               text: s.nodes[l.source].label + " → " + s.nodes[l.target].label };
    });
    var chart = make(el);
    var option = base(data);
    option.tooltip = {
      trigger: "item", className: "chart-tooltip",
      formatter: function (p) {
        if (p.dataType === "edge") return legTooltip(p.data.text, p.data.value, p.data.rows, p.data.preview);
        return esc(p.data.label_text);
      }
    };
    option.series = [{
      type: "sankey", left: 20, right: 140, top: 30, bottom: 10, nodeGap: 14, draggable: false,
      emphasis: { focus: "adjacency" },
      label: { formatter: function (p) { return p.data.label_text; } },
      lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.45 },
      data: nodes, links: links
    }];
    chart.setOption(option);
    chart.on("click", function (p) {
      if (p.dataType === "edge") go(p.data.url);
      else if (p.data && p.data.iso3) go("/territories/" + encodeURIComponent(p.data.iso3));
    });
  }

  function routeMap(el, data) {
    var map = data.map || { nodes: [], links: [], m49: {} };
    var chart = make(el);
    fetch("/static/vendor/world-atlas/countries-110m.json").then(function (r) {
      if (!r.ok) throw new Error("map shapes: HTTP " + r.status);
      return r.json();
    }).then(function (topo) {
      /* global topojson */
      var geo = topojson.feature(topo, topo.objects.countries);
      geo.features.forEach(function (f, i) {
        var iso3 = map.m49[f.id] || map.m49[f.properties.name] || "";
        f.properties.key = iso3 || "x" + i;
      });
      echarts.registerMap("world", geo);
      var involved = {};
      map.nodes.forEach(function (n) { involved[n.iso3] = n; });
      var max = Math.max.apply(null, [1].concat(map.links.map(function (l) { return l.value_usd; })));
      var points = {};
      map.nodes.forEach(function (n) { if (n.lon !== null) points[n.iso3] = [n.lon, n.lat]; });
      var option = base(data);
      option.tooltip = { trigger: "item", className: "chart-tooltip", formatter: function (p) {
        if (p.seriesType === "lines") return legTooltip(p.data.text, p.data.value_usd, p.data.rows, p.data.preview);
        return esc(p.data && p.data.text ? p.data.text : p.name);
      } };
      option.geo = {
        map: "world", nameProperty: "key", roam: true, silent: false,
        itemStyle: { areaColor: "#eef1f4", borderColor: "#b8c0c8" },
        emphasis: { disabled: true }, label: { show: false },
        regions: map.nodes.map(function (n) {
          return { name: n.iso3, itemStyle: { areaColor: n.role === "origin" ? "#c9d6e6" : n.role === "destination" ? "#f0cfd3" : "#f3e2c4" } };
        }),
        boundingCoords: bounds(map.nodes)
      };
      option.series = [{
        type: "lines", coordinateSystem: "geo", zlevel: 2,
        lineStyle: { color: "#4e79a7", opacity: 0.7, curveness: 0.2 },
        data: map.links.filter(function (l) { return points[l.from] && points[l.to]; }).map(function (l) {
          return {
            coords: [points[l.from], points[l.to]], url: l.evidence_url,
            text: (involved[l.from] ? involved[l.from].label : l.from) + " → " + (involved[l.to] ? involved[l.to].label : l.to),
            value_usd: l.value_usd, rows: l.record_count, preview: l.evidence_preview,
            lineStyle: { width: 1.5 + 8 * l.value_usd / max }
          };
        })
      }, {
        type: "scatter", coordinateSystem: "geo", zlevel: 3, symbolSize: 9,
        label: { show: true, position: "right", formatter: function (p) { return p.data.iso3; } },
        data: map.nodes.filter(function (n) { return points[n.iso3]; }).map(function (n) {
          return { value: points[n.iso3], iso3: n.iso3, text: n.label + " (" + n.role + ")",
                   itemStyle: { color: COLOURS[n.role] || "#666" } };
        })
      }];
      chart.setOption(option);
      chart.on("click", function (p) {
        if (p.seriesType === "lines") go(p.data.url);
        else if (p.seriesType === "scatter") go("/territories/" + encodeURIComponent(p.data.iso3));
      });
    }).catch(function (err) {
      el.textContent = "The map could not be drawn: " + err.message;
    });
  }

  function bounds(nodes) {
    var lons = [], lats = [];
    nodes.forEach(function (n) { if (n.lon !== null) { lons.push(n.lon); lats.push(n.lat); } });
    if (!lons.length) return [[-180, 84], [180, -60]];
    var pad = 12;
    return [[Math.max(-180, Math.min.apply(null, lons) - pad), Math.min(84, Math.max.apply(null, lats) + pad)],
            [Math.min(180, Math.max.apply(null, lons) + pad), Math.max(-60, Math.min.apply(null, lats) - pad)]];
  }

  function lineChart(el, data, rows, keys, yName, seriesOf) {
    var chart = make(el);
    var years = {};
    rows.forEach(function (r) { years[r.year] = true; });
    var xs = Object.keys(years).sort();
    var groups = {};
    rows.forEach(function (r) {
      keys.forEach(function (k) {
        if (r[k] === undefined) return;
        var name = seriesOf ? seriesOf(r, k) : k;
        groups[name] = groups[name] || {};
        groups[name][r.year] = r[k];
      });
    });
    var option = base(data);
    option.tooltip = { trigger: "axis" };
    option.legend = { type: "scroll", bottom: 0 };
    option.grid = { left: 60, right: 20, top: 36, bottom: 50 };
    option.xAxis = { type: "category", data: xs };
    option.yAxis = { type: "value", name: yName };
    option.series = Object.keys(groups).map(function (name) {
      return { name: name, type: "line", connectNulls: false,
               data: xs.map(function (y) { var v = groups[name][y]; return v === undefined ? null : v; }) };
    });
    chart.setOption(option, true);
    return chart;
  }

  function selectable(el, data, draw) {
    var select = document.querySelector('[data-chart-select="' + el.id + '"]');
    var chart = null;
    function redraw() {
      if (chart) { chart.dispose(); charts.splice(charts.indexOf(chart), 1); }
      chart = draw(select ? select.value : null);
    }
    if (select) select.addEventListener("change", redraw);
    redraw();
  }

  function hubChart(el, data) {
    var names = Object.keys(data.indicators || {});
    selectable(el, data, function (code) {
      var rows = (data.series || {})[code] || [];
      var products = {};
      rows.forEach(function (r) { products[r.product] = true; });
      var many = Object.keys(products).length > 1;
      return lineChart(el, data, rows, ["score"].concat(names), "score (0-1)", function (r, k) {
        return many ? k + " " + r.product : k;
      });
    });
  }

  function mirrorChart(el, data) {
    selectable(el, data, function (code) {
      var rows = (data.series || {})[code] || [];
      return lineChart(el, data, rows, ["z"], "z", function (r) { return r.pair + " " + r.product; });
    });
  }

  function territoryFlows(el, data) {
    var rows = data.by_year || [];
    var keys = ["out_itself", "out_partners", "out_reconciled", "in_itself", "in_partners", "in_reconciled"];
    var labels = {
      out_itself: "exports, as it reports", out_partners: "exports, as partners report",
      out_reconciled: "exports, reconciled", in_itself: "imports, as it reports",
      in_partners: "imports, as partners report", in_reconciled: "imports, reconciled"
    };
    var present = keys.filter(function (k) { return rows.some(function (r) { return r[k] !== undefined; }); });
    var chart = make(el);
    var option = base(data);
    option.tooltip = { trigger: "axis", valueFormatter: money };
    option.legend = { type: "scroll", bottom: 0 };
    option.grid = { left: 80, right: 20, top: 36, bottom: 50 };
    option.xAxis = { type: "category", data: rows.map(function (r) { return String(r.year); }) };
    option.yAxis = { type: "value", name: "USD", axisLabel: { formatter: money } };
    option.series = present.map(function (k) {
      return { name: labels[k], type: "bar", stack: k.slice(0, 3) + k.slice(k.indexOf("_")),
               data: rows.map(function (r) { return r[k] === undefined ? null : r[k]; }) };
    });
    chart.setOption(option);
  }

  function territoryHubs(el, data) {
    lineChart(el, data, data.hubs || [], ["score"], "hub score (0-1)", function (r) { return "score " + r.product; });
  }

  var DRAW = {
    sankey: sankeyChart, routemap: routeMap, hubs: hubChart, mirror: mirrorChart,
    territoryflows: territoryFlows, territoryhubs: territoryHubs
  };

  function setupCharts() {
    var els = document.querySelectorAll("[data-chart]");
    if (!els.length || typeof echarts === "undefined") return;
    var data = pageData();
    els.forEach(function (el) {
      var draw = DRAW[el.getAttribute("data-chart")];
      if (draw) draw(el, data);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  /* -- upload ---------------------------------------------------------------------------- */
  function setupUpload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var status = document.getElementById("upload-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = document.getElementById("upload-file").files;
      var token = document.getElementById("upload-token").value;
      var body = new FormData();
      Array.prototype.forEach.call(files, function (f) { body.append("file", f, f.name); });
      var headers = {};
      if (token) headers.Authorization = "Bearer " + token;
      status.className = "";
      status.textContent = "Uploading " + files.length + " file(s)…";
      fetch("/api/ingest", { method: "POST", body: body, headers: headers }).then(function (r) {
        return r.json().then(function (json) { return { ok: r.ok, status: r.status, json: json }; });
      }).then(function (res) {
        if (res.ok) {
          var results = res.json.results || [];
          status.className = "ok";
          status.textContent = "Ingested: " + results.map(function (x) {
            return (x.file || "?") + " (" + (x.status || "?") + ", " + (x.rows_loaded || 0) + " rows)";
          }).join("; ") + ". Reloading the runs…";
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          var err = res.json && res.json.error ? res.json.error : { message: "HTTP " + res.status };
          status.className = "error";
          status.textContent = "Refused (" + res.status + "): " + err.message;
        }
      }).catch(function (err) {
        status.className = "error";
        status.textContent = "Upload failed: " + err.message;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTables();
    setupCharts();
    setupUpload();
  });
})();
