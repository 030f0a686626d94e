#include "monitoring/dashboard.hpp"

namespace ferry::monitoring {

namespace {

constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ferry</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  .status { display: inline-block; padding: .2em .7em; border-radius: 1em;
            color: #fff; font-weight: 600; }
  .ok { background: #2e7d32; } .bad { background: #c62828; }
  table { border-collapse: collapse; margin: .3em 0 1.2em; min-width: 30em; }
  th, td { text-align: left; padding: .2em .8em; border-bottom: 1px solid #ddd; }
  td.value { text-align: right; font-variant-numeric: tabular-nums; }
  h2 { font-size: 1.05em; margin: 1.2em 0 .2em; font-family: monospace; }
  .help { color: #666; font-size: .9em; }
  #updated { color: #666; font-size: .9em; }
</style>
</head>
<body>
<h1>Ferry <span id="ready" class="status">…</span></h1>
<div id="updated"></div>
<h2>readiness</h2>
<table id="probes"><tr><th>probe</th><th>ok</th><th>detail</th></tr></table>
<div id="families"></div>
<script>
"use strict";
function parseMetrics(text) {
  const families = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("# HELP ")) {
      const rest = line.slice(7);
      const name = rest.split(" ")[0];
      (families[name] = families[name] || {samples: []}).help =
        rest.slice(name.length + 1);
      continue;
    }
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (!m || !m[1].startsWith("ferry_")) continue;
    const base = m[1].replace(/_(bucket|sum|count)$/, "");
    if (m[1].endsWith("_bucket")) continue;
    const fam = families[base] || families[m[1]] ||
                (families[m[1]] = {samples: []});
    fam.samples.push({name: m[1], labels: m[2] || "", value: Number(m[3])});
  }
  return families;
}
function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}
async function refresh() {
  try {
    const readyResponse = await fetch("/readyz");
    const ready = await readyResponse.json();
    const badge = document.getElementById("ready");
    badge.textContent = ready.ready ? "ready" : "not ready";
    badge.className = "status " + (ready.ready ? "ok" : "bad");
    const probes = document.getElementById("probes");
    while (probes.rows.length > 1) probes.deleteRow(1);
    for (const p of ready.probes) {
      const row = probes.insertRow();
      cell(row, p.name); cell(row, p.ok ? "yes" : "NO"); cell(row, p.detail);
    }
    const families = parseMetrics(await (await fetch("/metrics")).text());
    const root = document.getElementById("families");
    root.replaceChildren();
    for (const name of Object.keys(families).sort()) {
      const fam = families[name];
      if (!fam.samples.length) continue;
      const h = document.createElement("h2");
      h.textContent = name;
      root.appendChild(h);
      if (fam.help) {
        const help = document.createElement("div");
        help.className = "help";
        help.textContent = fam.help;
        root.appendChild(help);
      }
      const table = document.createElement("table");
      for (const s of fam.samples) {
        const row = table.insertRow();
        cell(row, s.name.slice(name.length) || "value");
        cell(row, s.labels);
        cell(row, Number.isInteger(s.value) ? String(s.value)
                                            : s.value.toFixed(4), "value");
      }
      root.appendChild(table);
    }
    document.getElementById("updated").textContent =
      "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("updated").textContent = "unreachable: " + e;
  }
}
refresh();
setInterval(refresh, 3000);
</script>
</body>
</html>
)html";

} // namespace

std::string_view dashboard_html() {
  return page;
}

} // namespace ferry::monitoring
