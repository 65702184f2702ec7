/* Party pages: the ownership graph (Apache ECharts, from /static/vendor), drawn from the
 * page-data block. Names are canvas text; tooltips are escaped here (ECharts puts a
 * formatter's string into the page as HTML). No inline script: the CSP forbids it. */
(function () {
  "use strict";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function pageData() {
    var el = document.getElementById("page-data");
    if (!el) return {};
    try { return JSON.parse(el.textContent || "{}"); } catch (e) { return {}; }
  }

  function share(p) { return p === null || p === undefined ? "share not stated" : p + " %"; }

  function drawOwnership(el, data) {
    /* global echarts */
    var g = data.graph || { nodes: [], links: [] };
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = {
      animation: false,
      aria: { enabled: true },
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            return escapeHtml(p.data.sourceName + " owns " + share(p.data.percentage) + " of " + p.data.targetName);
          }
          return escapeHtml(p.data.name);
        }
      },
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 260, edgeLength: 140 },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 9,
        label: { show: true, position: "right", formatter: function (p) { return p.data.name; } },
        edgeLabel: { show: true, formatter: function (p) { return p.data.percentage === null ? "?" : p.data.percentage + " %"; } },
        data: g.nodes.map(function (n) {
          return { id: n.id, name: n.name, symbolSize: n.self ? 26 : 16,
                   itemStyle: { color: n.self ? "#b00020" : "#3b6ea5" } };
        }),
        links: g.links.map(function (l) {
          var names = {};
          g.nodes.forEach(function (n) { names[n.id] = n.name; });
          return { source: l.source, target: l.target, percentage: l.percentage,
                   sourceName: names[l.source] || l.source, targetName: names[l.target] || l.target };
        })
      }]
    };
    if (data.simulated) {
      option.graphic = [{ type: "text", right: 10, top: 6, z: 100,
                          style: { text: "SIMULATED", fill: "#b00020", font: "bold 15px sans-serif" } }];
    }
    chart.setOption(option);
    chart.on("click", function (p) {
      if (p.dataType === "node" && p.data.id) window.location.href = "/parties/" + encodeURIComponent(p.data.id);
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  /* The judgement form: POST /api/parties/judgements with the bearer token; the answer is
   * shown with textContent only. */
  function setupJudge() {
    var form = document.getElementById("judge-form");
    if (!form) return;
    var status = document.getElementById("judge-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = document.getElementById("judge-token").value;
      var body = {
        a: form.getAttribute("data-party"),
        b: document.getElementById("judge-other").value,
        verdict: document.getElementById("judge-verdict").value,
        who: document.getElementById("judge-who").value,
        why: document.getElementById("judge-why").value || null
      };
      var headers = { "Content-Type": "application/json" };
      if (token) headers.Authorization = "Bearer " + token;
      status.className = "";
      status.textContent = "Sending…";
      fetch("/api/parties/judgements", { method: "POST", body: JSON.stringify(body), headers: headers })
        .then(function (r) {
          return r.json().then(function (json) { return { ok: r.ok, status: r.status, json: json }; });
        }).then(function (res) {
          if (res.ok) {
            var j = res.json;
            status.className = "ok";
            status.textContent = "Judgement " + j.judgement_id + " recorded: " + j.a + " " + j.verdict +
              " " + j.b + " (by " + j.who + "); applied at the next transship parties resolve.";
          } else {
            var err = res.json && res.json.error ? res.json.error : { message: "HTTP " + res.status };
            status.className = "error";
            status.textContent = "Refused (" + res.status + "): " + err.message;
          }
        }).catch(function (err) {
          status.className = "error";
          status.textContent = "Failed: " + err.message;
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupJudge();
    if (typeof echarts === "undefined") return;
    var data = pageData();
    document.querySelectorAll("[data-party-graph]").forEach(function (el) { drawOwnership(el, data); });
  });
})();
