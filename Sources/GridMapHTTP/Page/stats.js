// The 统计 tab of the dispatcher's page (绩在网中评, issue #40): a measure of /api/stats as a
// choropleth of the grids, communities or streets for a period and an attribution, with its
// legend and class breaks; a ranking table whose rows select their object on the map; and a
// card with the object's measures, its rank and a monthly chart in plain SVG.
// Everything comes from /api/stats and goes in as text (el, show: common.js).
"use strict";

const stats = { rows: new Map(), breaks: [], classed: [], seq: 0, cardSeq: 0, selected: null, shown: null };
window.gridmap.stats = { ready: false, by: null, measure: null, breaks: [], colors: {}, selected: null,
  card: null, refreshes: 0, message: "" };

// The measures a map can show: rates (their value with numerator and denominator) and counts.
const statsMeasures = {
  on_time_rate: { label: "按期结案率", rate: true }, closure_rate: { label: "结案率", rate: true },
  rework_rate: { label: "返工率", rate: true }, extension_rate: { label: "延期率", rate: true },
  reported: { label: "上报数" }, closed: { label: "结案数" }, overdue: { label: "超期数" },
};
const statsLevels = { grid: ["grids", "网格"], community: ["communities", "社区/村"], street: ["streets", "街道/乡镇"] };
// Five classes, light to dark, by quantile of the values shown; objects with no case in the
// period and rates over too few cases (small_sample) have colours of their own.
const statsPalette = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const statsNone = "#ffffff", statsSmall = "#d9d9d9";

const statsValue = (row, measure) => {
  if (!row) return null;
  const v = row[measure];
  return statsMeasures[measure].rate ? (v && v.value != null ? v.value : null) : v;
};
const statsText = (v, measure) => v == null ? "—"
  : statsMeasures[measure].rate ? (v * 100).toFixed(1) + "%" : String(v);

// Quantile breaks: the values sorted, the break below class k (k = 1…4) is the value at rank
// floor(k·n/5); equal breaks are merged, so a few distinct values make fewer classes.
function quantileBreaks(values) {
  const sorted = values.slice().sort((a, b) => a - b), out = [];
  for (let k = 1; k < statsPalette.length; k++) {
    const b = sorted[Math.floor(k * sorted.length / statsPalette.length)];
    if (b !== undefined && b > sorted[0] && !out.includes(b)) out.push(b);
  }
  return out;
}
const classOf = (v, breaks) => breaks.filter(b => v >= b).length;

function statsSay(text, ok) {
  show(document.getElementById("stats-message"), text ? el("span", { class: ok ? "ok" : "error" }, text) : null);
  window.gridmap.stats.message = text || "";
}

function statsQuery(extra) {
  const v = id => document.getElementById(id).value;
  const to = v("stats-to"), next = to ? new Date(Date.parse(to) + 86400000).toISOString().slice(0, 10) : null;
  return Object.assign({ by: v("stats-by"), from: v("stats-from"), to: next, attribution: v("stats-attribution") },
    extra || {});
}

function restyleAll() {
  for (const [, [layer]] of Object.entries(statsLevels)) {
    const l = state.layers[layer];
    if (l) l.eachLayer(f => l.resetStyle(f));
  }
}

// The choropleth: every feature of the level coloured by its row's value.
function paint() {
  const by = document.getElementById("stats-by").value, measure = document.getElementById("stats-measure").value;
  restyleAll();
  const layer = state.layers[statsLevels[by][0]], colors = {};
  layer.eachLayer(f => {
    const id = f.feature.properties.id, row = stats.rows.get(id), v = statsValue(row, measure);
    const small = row && statsMeasures[measure].rate && row.small_sample;
    const color = !row || v == null ? statsNone : small ? statsSmall : statsPalette[classOf(v, stats.breaks)];
    colors[id] = color;
    const selected = id === stats.selected;
    f.setStyle({ fill: true, fillColor: color, fillOpacity: row ? 0.75 : 0.15,
      color: selected ? "#d00000" : "#555", weight: selected ? 3 : 0.8 });
    if (selected) f.bringToFront();
  });
  window.gridmap.stats.colors = colors;
  legend(measure);
}

function legend(measure) {
  const items = [], b = stats.breaks, values = stats.classed;
  const hi = values.length ? Math.max(...values) : null;
  for (let k = 0; k <= b.length; k++) {
    const from = k === 0 ? (values.length ? Math.min(...values) : null) : b[k - 1];
    const to = k < b.length ? b[k] : hi;
    items.push(el("li", { "data-class": k }, el("span", { class: "swatch", "data-color": statsPalette[k] }),
      statsText(from, measure) + (k < b.length ? " ～ " + statsText(to, measure) + "（不含）" : " ～ " +
        statsText(to, measure))));
  }
  items.push(el("li", {}, el("span", { class: "swatch", "data-color": statsSmall }), "样本过少（不排名）"));
  items.push(el("li", {}, el("span", { class: "swatch", "data-color": statsNone }), "期间无案件（比率：无应结案件）"));
  const box = document.getElementById("stats-legend");
  show(box, el("h4", {}, statsMeasures[measure].label + "（分级：五分位）"), el("ol", {}, items));
  // Colours through element.style, which the page's Content-Security-Policy allows.
  for (const s of box.querySelectorAll(".swatch")) s.style.background = s.dataset.color;
}

function ranking(measure) {
  const body = document.querySelector("#stats-ranking tbody");
  const rows = [...stats.rows.values()].filter(r => r.rank != null).sort((a, b) => a.rank - b.rank ||
    (a.name < b.name ? -1 : 1));
  show(body, rows.map(r => {
    const tr = el("tr", { "data-id": r.id, class: r.id === stats.selected ? "current" : null },
      el("td", {}, String(r.rank)), el("td", {}, r.name), el("td", {}, statsText(statsValue(r, measure), measure)),
      el("td", {}, String(r.reported)));
    tr.addEventListener("click", () => selectObject(r.id, true));
    return tr;
  }));
  document.getElementById("stats-count").textContent = rows.length + " 个参与排名（按期结案率，次按结案率）";
}

async function refreshStats() {
  const seq = ++stats.seq, measure = document.getElementById("stats-measure").value;
  const query = statsQuery();
  window.gridmap.stats.ready = false;
  statsSay("正在计算…", true);
  try {
    const answer = await api(withQuery("/api/stats", query));
    if (seq !== stats.seq) return;
    stats.rows = new Map(answer.rows.map(r => [r.id, r]));
    // The values classed: rates over too few cases are left out (grey), as from the ranking.
    stats.classed = answer.rows.filter(r => !(statsMeasures[measure].rate && r.small_sample))
      .map(r => statsValue(r, measure)).filter(v => v != null);
    stats.breaks = quantileBreaks(stats.classed);
    Object.assign(window.gridmap.stats, { by: query.by, measure, breaks: stats.breaks, answer: query,
      attribution: answer.attribution, version: answer.version });
    paint();
    ranking(measure);
    statsSay(answer.rows.length + " 个对象有案件 · " + (answer.attribution === "stamped" ? "按上报时的网格归属"
      : "按第 " + answer.version + " 版地图归属"), true);
    if (stats.selected && stats.rows.has(stats.selected)) await showStatsCard(stats.selected);
    else show(document.getElementById("stats-card"), null);
  } catch (e) {
    if (seq === stats.seq) statsSay("统计失败：" + e.message);
  } finally {
    if (seq === stats.seq) {
      window.gridmap.stats.refreshes++;
      window.gridmap.stats.ready = true;
    }
  }
}

async function selectObject(id, zoom) {
  stats.selected = id;
  window.gridmap.stats.selected = id;
  paint();
  for (const tr of document.querySelectorAll("#stats-ranking tbody tr")) {
    tr.classList.toggle("current", tr.dataset.id === id);
  }
  if (zoom) {
    const layer = state.layers[statsLevels[document.getElementById("stats-by").value][0]];
    layer.eachLayer(f => { if (f.feature.properties.id === id) map.fitBounds(f.getBounds(), { maxZoom: 16 }); });
  }
  await showStatsCard(id);
}

// A click on the map on this tab: the object of the chosen level under it.
async function statsClick(latlng) {
  try {
    const found = await api(withQuery("/api/locate", { lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7) }));
    if (!found.grid) return statsSay("该位置不在本区范围内。");
    const by = document.getElementById("stats-by").value;
    await selectObject(by === "grid" ? found.grid.id : by === "community" ? found.community.id : found.street.id);
  } catch (e) { statsSay("查询失败：" + e.message); }
}

const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

// Twelve months up to the period's end: reported and closed on time, as bars.
function monthlyChart(months) {
  const w = 300, h = 120, left = 24, bottom = 18, bar = (w - left) / months.length;
  const top = Math.max(1, ...months.map(m => m.reported));
  const chart = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": "逐月上报数与按期结案数" });
  chart.appendChild(svg("text", { x: 0, y: 10, "font-size": 10 }, String(top)));
  chart.appendChild(svg("line", { x1: left, y1: h - bottom, x2: w, y2: h - bottom, stroke: "#999" }));
  months.forEach((m, k) => {
    const x = left + k * bar, scale = (h - bottom - 12) / top;
    const r = svg("rect", { x: x + 1, y: h - bottom - m.reported * scale, width: bar / 2 - 1,
      height: m.reported * scale, fill: "#6baed6" });
    r.appendChild(svg("title", {}, m.label + " 上报 " + m.reported));
    const c = svg("rect", { x: x + bar / 2, y: h - bottom - m.onTime * scale, width: bar / 2 - 1,
      height: m.onTime * scale, fill: "#31a354" });
    c.appendChild(svg("title", {}, m.label + " 按期结案 " + m.onTime));
    chart.appendChild(r);
    chart.appendChild(c);
    if (k % 3 === 0) chart.appendChild(svg("text", { x, y: h - 4, "font-size": 9 }, m.label));
  });
  return chart;
}

async function showStatsCard(id) {
  const seq = ++stats.cardSeq, row = stats.rows.get(id), box = document.getElementById("stats-card");
  const measure = document.getElementById("stats-measure").value;
  if (!row) {
    window.gridmap.stats.card = { id, row: null };
    return show(box, el("h3", {}, id), el("p", { class: "muted" }, "期间无案件。"));
  }
  const rate = r => r.value == null ? "—（无应结案件）" : (r.value * 100).toFixed(1) + "%（" + r.numerator + "/" +
    r.denominator + "）";
  const hours = row.time_to_close_hours || {};
  const h = v => v == null ? "—" : v.toFixed(1) + " 小时";
  const ranked = [...stats.rows.values()].filter(r => r.rank != null).length;
  const lines = [["排名", row.rank != null ? row.rank + " / " + ranked : "不排名（样本过少）"],
    ["上报", row.reported], ["立案", row.accepted], ["不予立案", row.refused], ["派遣", row.dispatched],
    ["结案", row.closed], ["按期结案", row.closed_on_time], ["应结案", row.due], ["缓办", row.deferred],
    ["超期", row.overdue], ["返工", row.reworked], ["延期", row.extended], ["作废", row.voided],
    ["结案率", rate(row.closure_rate)], ["按期结案率", rate(row.on_time_rate)], ["返工率", rate(row.rework_rate)],
    ["延期率", rate(row.extension_rate)],
    ["处置时长", "平均 " + h(hours.mean) + "，中位 " + h(hours.median) + "，P90 " + h(hours.p90)]];
  show(box, el("h3", {}, row.name + " ", el("span", { class: "muted" }, row.id)),
    el("table", {}, lines.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { "data-k": k }, String(v))))),
    el("p", { class: "muted" }, "正在读取逐月数据…"));
  window.gridmap.stats.card = { id, row, measure, months: null };
  // The months up to the period's end, each one request for this object alone.
  const end = new Date(document.getElementById("stats-to").value || Date.now());
  const months = [];
  for (let k = 11; k >= 0; k--) {
    const a = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - k, 1));
    const b = new Date(Date.UTC(a.getUTCFullYear(), a.getUTCMonth() + 1, 1));
    months.push({ from: a.toISOString().slice(0, 10), to: b.toISOString().slice(0, 10),
      label: (a.getUTCMonth() + 1) + "月" });
  }
  try {
    const answers = await Promise.all(months.map(m => api(withQuery("/api/stats",
      statsQuery({ from: m.from, to: m.to, id })))));
    if (seq !== stats.cardSeq) return;
    answers.forEach((a, k) => {
      const r = a.rows.find(x => x.id === id);
      months[k].reported = r ? r.reported : 0;
      months[k].onTime = r ? r.closed_on_time : 0;
    });
    box.lastChild.replaceWith(el("h4", {}, "逐月（蓝：上报，绿：按期结案）"), monthlyChart(months));
    window.gridmap.stats.card = { id, row, measure, months };
  } catch (e) {
    if (seq === stats.cardSeq) box.lastChild.replaceWith(el("p", { class: "error" }, "逐月数据读取失败：" + e.message));
  }

}

// Entering the tab draws the choropleth; leaving it gives the layers their own styles back.
window.statsTab = on => {
  if (on) return refreshStats();
  restyleAll();
};

function startStats() {
  const measure = document.getElementById("stats-measure");
  for (const [k, m] of Object.entries(statsMeasures)) measure.appendChild(el("option", { value: k }, m.label));
  const today = new Date(Date.now() + 8 * 3600000);  // China's date
  document.getElementById("stats-to").value = today.toISOString().slice(0, 10);
  document.getElementById("stats-from").value = new Date(today - 364 * 86400000).toISOString().slice(0, 10);
  document.getElementById("tab-stats").addEventListener("click", () => showTab("stats"));
  for (const id of ["stats-by", "stats-from", "stats-to", "stats-attribution"]) {
    document.getElementById(id).addEventListener("change", () => {
      if (id === "stats-by") stats.selected = null;
      refreshStats();
    });
  }
  measure.addEventListener("change", refreshStats);
  window.gridmap.stats.started = true;
}

window.gridmap.started.then(() => { if (window.gridmap.ready) startStats(); })
  .catch(e => statsSay("统计加载失败：" + e.message));
