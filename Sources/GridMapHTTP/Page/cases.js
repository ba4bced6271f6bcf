// The 案件 tab of the dispatcher's page (issue #39): a report placed on the map or by address,
// its route shown before it is sent; the open cases as a queue by due time and as a map layer;
// a case's card with its stamp, its history and the actions the signed-in role may take.
// Everything comes from /api/cases and goes in as text (el, show: common.js).
"use strict";

const cases = { role: "reporter", place: null, placeMarker: null, layer: null, open: null, key: null,
  previewSeq: 0, refreshSeq: 0, cardSeq: 0, attributesSeq: 0, attributes: [] };
window.gridmap.cases = { ready: false, role: "reporter", preview: null, previewFor: null, queue: [], markers: [],
  card: null, refreshes: 0, settled: 0, message: "" };

const stageNames = { reported: "上报", accepted: "立案", refused: "不予立案", dispatched: "派遣",
  handled: "处置", closed: "结案", deferred: "缓办", voided: "作废" };
const openStages = ["reported", "accepted", "dispatched", "handled", "deferred"];
const stageColors = { reported: "#e67e22", accepted: "#d4ac0d", dispatched: "#2e86c1", handled: "#8e44ad",
  deferred: "#7f8c8d", closed: "#27ae60", refused: "#95a5a6", voided: "#bbbbbb" };
const roleNames = { reporter: "上报人", dispatcher: "调度员", unit: "处置单位" };
const sourceNames = { handheld: "网格员上报", hotline: "热线", resident: "居民上报", open311: "Open311",
  import: "导入" };

// The server's table of actions (CaseAction.rule, docs/PROTOCOL.md "CASE"), as far as the page
// needs it to offer buttons: the stages each is taken from, who may take it and what it must
// carry. The server checks again; this only keeps impossible buttons off the card.
const caseActions = [
  { name: "accept", label: "立案", from: ["reported"] },
  { name: "refuse", label: "不予立案", from: ["reported"], note: true },
  { name: "dispatch", label: "派遣", from: ["accepted"], unit: "optional" },
  { name: "redispatch", label: "转派", from: ["dispatched"], note: true, unit: "required" },
  { name: "handle", label: "处置", from: ["dispatched"], note: true, roles: ["unit", "dispatcher"] },
  { name: "pass", label: "核查通过", from: ["handled"] },
  { name: "fail", label: "核查不通过（返工）", from: ["handled"], note: true },
  { name: "extend", label: "延期", from: ["accepted", "dispatched", "handled"], note: true, due: true },
  { name: "defer", label: "缓办", from: ["accepted", "dispatched"], note: true },
  { name: "resume", label: "恢复办理", from: ["deferred"] },
  { name: "void", label: "作废", from: ["reported", "accepted", "dispatched", "handled", "deferred"], note: true },
];
const allowedActions = (stage, role) =>
  caseActions.filter(a => a.from.includes(stage) && (a.roles || ["dispatcher"]).includes(role));

// The server's refusals are English, for programs; the person at the map reads them in Chinese
// (the server's words kept as the message's tooltip), as the server words them (/api/texts):
// until they arrive, or if they cannot, the server's own message stands.
let refusals = {};
fetch("/api/texts", { credentials: "same-origin" }).then(r => r.ok ? r.json() : {})
  .then(t => { refusals = t.refusals || {}; }, () => {});

function say(text, title, ok) {
  const box = document.getElementById("case-message");
  show(box, text ? el("span", { class: ok ? "ok" : "error", title: title || null }, text) : null);
  window.gridmap.cases.message = text || "";
}
const refused = (e, what) => say((what ? what + "：" : "") + (refusals[e.code] || "服务器拒绝（" + e.message + "）"),
  e.message);

const shortTime = t => (t || "").slice(5, 16).replace("T", " ");
const categoryName = code => {
  const s = state.services.find(x => x.service_code === code);
  return s ? s.service_name : code;
};
const unitName = id => {
  const f = state.units && state.units.features.find(x => x.properties.id === id);
  return f ? f.properties.name : id;
};

// --- who is signed in ------------------------------------------------------------------------
// As on /plan, the browser's own HTTP authentication signs the person in (the prompt when the
// page first asks for data): as the planner, the page dispatches; as a reader, it reports and
// reads. Which one is read from /api/plan, which only the planner may read (a reader gets 403,
// no prompt; a server without passwords lets everyone dispatch).
async function whoAmI() {
  const r = await fetch("/api/plan/texts", { credentials: "same-origin" }).catch(() => null);
  setRole(r && r.ok ? "dispatcher" : "reporter");
}

function setRole(role) {
  cases.role = role;
  window.gridmap.cases.role = role;
  document.getElementById("case-role").textContent =
    role === "dispatcher" ? "调度员：受理、派遣、核查、结案" : "读者：可上报、查看（以调度员账户登录后可办理）";
  if (cases.open) openCase(cases.open.id);
}

// --- the report -------------------------------------------------------------------------------
function placeReport(latlng) {
  setPlace({ lon: +latlng.lng.toFixed(7), lat: +latlng.lat.toFixed(7) });
}

function setPlace(place) {
  cases.place = place;
  cases.key = null;
  if (cases.placeMarker) map.removeLayer(cases.placeMarker);
  cases.placeMarker = L.circleMarker([place.lat, place.lon], { radius: 9, color: "#e67e22", weight: 3,
    dashArray: "3 3", fill: false, interactive: false }).addTo(map);
  document.getElementById("case-place").textContent = place.address
    ? "地址：" + place.address + "（" + place.matched + "）" : "位置：" + place.lon + ", " + place.lat;
  previewRoute();
}

async function geocodeReport() {
  const text = document.getElementById("case-address").value.trim();
  if (!text) return;
  try {
    const found = await api(withQuery("/api/geocode", { limit: 1, q: text }));
    const best = (found.candidates || [])[0];
    if (!best) return say(refusals.address_not_found || "没有找到这个地址。");
    map.setView([best.point.lat, best.point.lon], Math.max(map.getZoom(), 16));
    setPlace({ lon: best.point.lon, lat: best.point.lat, address: text, matched: best.text || "" });
  } catch (e) { refused(e, "定位"); }
}

// The route the server will stamp (ROUTE for the point and the category), shown before the
// report is sent: who handles it and by when.
async function previewRoute() {
  const seq = ++cases.previewSeq, box = document.getElementById("case-preview");
  const category = document.getElementById("case-category").value, place = cases.place;
  document.getElementById("case-submit").disabled = true;
  window.gridmap.cases.preview = null;
  if (!place || !category) return show(box, el("p", { class: "muted" }, "选定位置和类别后显示承办单位和时限。"));
  show(box, el("p", { class: "muted" }, "正在查询承办…"));
  try {
    const route = await api(withQuery("/api/route", { lon: place.lon, lat: place.lat, category }));
    if (seq !== cases.previewSeq) return;
    const card = routeCard(route);
    card.querySelector("h3").removeAttribute("id");  // the lookup tab's card has the #route-unit
    show(box, el("h4", {}, "承办（上报前预览）"), card);
    window.gridmap.cases.preview = route;
    window.gridmap.cases.previewFor = { lon: place.lon, lat: place.lat, category };
    document.getElementById("case-submit").disabled = false;
  } catch (e) {
    if (seq !== cases.previewSeq) return;
    show(box, el("p", { class: "error" }, refusals[e.code] || e.message));
  }
}

// The chosen category's questions (its Open311 service definition's attributes), one input
// each: a list's values as a select or checkboxes, a number, a time, a line or a text.
async function showAttributes() {
  const code = document.getElementById("case-category").value, box = document.getElementById("case-attributes");
  const seq = ++cases.attributesSeq;
  cases.attributes = [];
  show(box);
  const service = state.services.find(s => s.service_code === code);
  if (!service || !service.metadata) return;
  let definition;
  try { definition = await api("/open311/v2/services/" + encodeURIComponent(code) + ".json"); } catch (e) {
    return refused(e, "读取类别要求");
  }
  if (seq !== cases.attributesSeq) return;
  cases.attributes = definition.attributes || [];
  show(box, ...cases.attributes.map(a => {
    const id = "case-attr-" + a.code, label = a.description + (a.required ? "（必填）" : "");
    let input;
    if (a.datatype === "singlevaluelist") {
      input = el("select", { id, "data-code": a.code, required: a.required },
        el("option", { value: "" }, label), ...a.values.map(v => el("option", { value: v.key }, v.name)));
    } else if (a.datatype === "multivaluelist") {
      input = el("span", { id, "data-code": a.code }, label + "：", ...a.values.map(v =>
        el("label", {}, el("input", { type: "checkbox", value: v.key }), v.name)));
    } else if (a.datatype === "text") {
      input = el("textarea", { id, "data-code": a.code, rows: 2, placeholder: label, required: a.required });
    } else {
      const type = { number: "number", datetime: "datetime-local" }[a.datatype] || "text";
      input = el("input", { id, "data-code": a.code, type, step: type === "number" ? "any" : null,
        placeholder: label + (a.datatype_description ? "，" + a.datatype_description : ""), title: label,
        required: a.required });
    }
    return el("div", { class: "line attribute" }, input);
  }));
}

// The answers as /api/cases takes them: code → value, a multivaluelist's keys as a list.
function attributeAnswers() {
  const out = {};
  for (const a of cases.attributes) {
    const input = document.getElementById("case-attr-" + a.code);
    if (!input) continue;
    if (a.datatype === "multivaluelist") {
      const keys = [...input.querySelectorAll("input:checked")].map(c => c.value);
      if (keys.length) out[a.code] = keys;
    } else if (input.value.trim()) {
      // datetime-local has no zone: the district's.
      out[a.code] = a.datatype === "datetime" ? input.value + ":00+08:00" : input.value;
    }
  }
  return out;
}

async function submitReport(event) {
  event.preventDefault();
  const place = cases.place, category = document.getElementById("case-category").value;
  if (!place || !category || !window.gridmap.cases.preview) return;
  // One key per report written: a second press while the first is on its way makes no second case.
  cases.key = cases.key || "page-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  const body = { category, description: document.getElementById("case-description").value,
    source: document.getElementById("case-source").value, key: cases.key, attributes: attributeAnswers() };
  if (place.address) body.address = place.address; else Object.assign(body, { lon: place.lon, lat: place.lat });
  const submit = document.getElementById("case-submit");
  submit.disabled = true;
  try {
    const made = await api("/api/cases", body);
    say("已上报：案件 #" + made.id + "，" + shortTime(made.due_at) + " 前办结。", null, true);
    document.getElementById("case-description").value = "";
    await showAttributes();
    document.getElementById("case-address").value = "";
    document.getElementById("case-place").textContent = "在地图上点选位置，或输入地址：";
    if (cases.placeMarker) map.removeLayer(cases.placeMarker);
    cases.place = cases.placeMarker = cases.key = null;
    await previewRoute();
    showCase(made);
    await refresh();
  } catch (e) {
    submit.disabled = false;
    refused(e, "上报未成功");
  }
  window.gridmap.cases.settled++;
}

// --- the queue and the layer ------------------------------------------------------------------
function filters() {
  const v = id => document.getElementById(id).value;
  const day = d => d ? d + "T00:00:00+08:00" : null;
  // The period's last day is in it: the server's `to` is exclusive, so the day after.
  const next = d => {
    if (!d) return null;
    const t = new Date(d + "T00:00:00Z");
    t.setUTCDate(t.getUTCDate() + 1);
    return t.toISOString().slice(0, 10) + "T00:00:00+08:00";
  };
  return { category: v("case-filter-category") || null, unit: v("case-filter-unit") || null,
    from: day(v("case-from")), to: next(v("case-to")) };
}

// Overdue first, then by due time: the server orders by due time, and a deferred case past its
// old due time is not overdue.
const byUrgency = (a, b) => (b.overdue - a.overdue) || (a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : 0);

async function refresh() {
  const seq = ++cases.refreshSeq, f = filters();
  const finished = document.getElementById("case-finished").checked;
  try {
    const [queue, layer] = await Promise.all([
      api(withQuery("/api/cases", { ...f, stage: openStages.join(","), limit: 1000 })),
      api(withQuery("/api/cases", { ...f, stage: finished ? null : openStages.join(","), format: "geojson",
        limit: 1000 })),
    ]);
    if (seq !== cases.refreshSeq) return;
    drawQueue(queue.cases.slice().sort(byUrgency));
    drawLayer(layer);
    window.gridmap.cases.refreshes++;
  } catch (e) {
    if (seq === cases.refreshSeq) refused(e, "案件读取未成功");
  }
}

function drawQueue(list) {
  window.gridmap.cases.queue = list.map(c => ({ id: c.id, stage: c.stage, overdue: c.overdue,
    last_event: c.last_event, due_at: c.due_at }));
  document.getElementById("case-count").textContent = "（" + list.length + " 件）";
  show(document.getElementById("case-queue"), list.map(c => {
    const li = el("li", { "data-id": c.id, class: c.overdue ? "overdue" : null },
      el("b", {}, "#" + c.id), " ", categoryName(c.category), " ",
      el("span", { class: "stage" }, stageNames[c.stage] || c.stage), " ",
      el("span", { class: "muted" }, shortTime(c.due_at) + " 前"),
      c.overdue ? el("span", { class: "overdue-mark" }, " 超期") : null);
    if (cases.open && cases.open.id === c.id) li.classList.add("current");
    li.addEventListener("click", () => openCase(c.id));
    return li;
  }));
}

function drawLayer(data) {
  if (cases.layer) map.removeLayer(cases.layer);
  window.gridmap.cases.markers = data.features.map(f => ({ id: f.properties.id, stage: f.properties.stage,
    overdue: f.properties.overdue, last_event: f.properties.last_event, lon: f.geometry.coordinates[0],
    lat: f.geometry.coordinates[1] }));
  cases.layer = L.geoJSON(data, {
    // Not bubbling: a click on a case opens it, and does not also place a report there.
    pointToLayer: (f, ll) => L.circleMarker(ll, {
      radius: f.properties.overdue ? 9 : 7, weight: f.properties.overdue ? 4 : 1.5,
      color: f.properties.overdue ? "#d00000" : "#333", fillColor: stageColors[f.properties.stage] || "#999",
      fillOpacity: 0.9, bubblingMouseEvents: false })
      .bindTooltip(() => el("span", {}, "#" + f.properties.id + " " + categoryName(f.properties.category) + " · "
        + (stageNames[f.properties.stage] || f.properties.stage) + (f.properties.overdue ? " · 超期" : "")))
      .on("click", () => openCase(f.properties.id)),
  });
  if (state.tab === "cases") cases.layer.addTo(map);
}

// --- the card ---------------------------------------------------------------------------------
async function openCase(id) {
  const seq = ++cases.cardSeq;
  try {
    const c = await api("/api/cases/" + encodeURIComponent(id));
    if (seq === cases.cardSeq) showCase(c);
  } catch (e) { refused(e, "案件 #" + id); }
}

function showCase(c) {
  // What was being typed stays when the card is drawn again (after a refusal, a newer reading).
  const same = cases.open && cases.open.id === c.id;
  const note = same ? document.getElementById("case-note") : null;
  const kept = note ? note.value : "";
  cases.open = c;
  window.gridmap.cases.card = c;
  for (const li of document.querySelectorAll("#case-queue li")) {
    li.classList.toggle("current", li.dataset.id === String(c.id));
  }
  const s = c.stamp, r = s.route || {};
  const named = (part, id) => (r[part] && r[part].name ? r[part].name + " " : "") + id;
  const rows = [
    row("阶段", el("b", { id: "case-stage" }, c.stage_name || stageNames[c.stage]),
      c.overdue ? el("span", { class: "overdue-mark" }, " 超期") : null,
      c.reworks ? el("span", { class: "muted" }, " 返工 " + c.reworks + " 次") : null),
    row("类别", categoryName(c.category), " ", el("span", { class: "muted" }, c.category)),
    c.description ? row("描述", c.description) : null,
    Object.keys(c.attributes || {}).length ? row("填写项", Object.entries(c.attributes).map(([k, v]) =>
      k + "：" + (Array.isArray(v) ? v.join("、") : String(v))).join("；")) : null,
    row("来源", sourceNames[c.source] || c.source, " ", el("span", { class: "muted" }, shortTime(c.reported_at))),
    row("期限", shortTime(c.due_at) + " 前办结", c.extensions ? "（延期 " + c.extensions + " 次）" : ""),
    row("网格", named("grid", s.grid)), row("社区", named("community", s.community)),
    row("街道", named("street", s.street)),
    row("承办", s.unit ? unitName(s.unit) : handlers[s.handled_by] || s.handled_by,
      s.near_border ? el("span", { class: "warn" }, " 临界") : null),
    c.unit && c.unit !== s.unit ? row("现派至", unitName(c.unit)) : null,
    row("地图版本", String(s.version)),
    c.contact && (c.contact.name || c.contact.phone) ? row("联系人", c.contact.name || "", " ", c.contact.phone || "")
      : null,
    c.needs_placing ? row(el("span", { class: "warn" }, "待定位"), el("span", { class: "warn" }, "地址匹配不确定，请核实位置"))
      : null,
  ];
  const timeline = el("ol", { id: "case-history", class: "timeline" }, (c.history || []).map(h =>
    el("li", { "data-seq": h.seq },
      el("span", { class: "muted" }, shortTime(h.at)), " ", h.account, "（", roleNames[h.role] || h.role, "） ",
      el("b", {}, h.action_name || "上报"), " ",
      h.from ? (stageNames[h.from] || h.from) + " → " + (stageNames[h.to] || h.to) : null,
      h.unit ? " · " + unitName(h.unit) : null, h.due_at ? " · 期限 " + shortTime(h.due_at) : null,
      h.note ? el("div", { class: "note" }, h.note) : null)));
  show(document.getElementById("case-card"),
    el("h2", {}, "案件 #" + c.id + " ", categoryName(c.category)),
    el("table", {}, rows),
    el("h3", {}, "办理记录"), timeline,
    actionsBox(c, kept));
  const p = [s.lat, s.lon];
  if (!map.getBounds().contains(p)) map.panTo(p);
}

function actionsBox(c, kept) {
  const offered = allowedActions(c.stage, cases.role);
  if (!offered.length) {
    return el("p", { class: "muted" }, cases.role === "dispatcher" ? "案件已办结，无可执行的操作。"
      : "以调度员账户登录后可办理。");
  }
  const note = el("textarea", { id: "case-note", rows: 2, placeholder: "办理说明（不予立案、转派、处置、返工、延期、缓办、作废须填写）" });
  note.value = kept;
  const parts = [note];
  if (offered.some(a => a.unit)) {
    const units = el("select", { id: "case-unit", title: "派至单位" }, el("option", { value: "" }, "（按受理时的承办单位）"),
      (state.units ? state.units.features : []).map(f => el("option", { value: f.properties.id }, f.properties.name)));
    parts.push(el("label", {}, "派至 ", units));
  }
  if (offered.some(a => a.due)) {
    parts.push(el("label", {}, "延期至 ", el("input", { id: "case-due", type: "datetime-local" })));
  }
  const buttons = offered.map(a => {
    const b = el("button", { type: "button", id: "act-" + a.name, "data-action": a.name }, a.label);
    b.addEventListener("click", () => act(c, a));
    return b;
  });
  return el("div", { class: "actions" }, parts, el("div", { class: "buttons" }, buttons));
}

// An action on the case as this card shows it: `expect` is the last event the card was drawn
// from, so that if anyone acted since, the server refuses and nothing is written.
async function act(c, a) {
  const note = document.getElementById("case-note").value.trim();
  const unit = (document.getElementById("case-unit") || {}).value || null;
  const due = (document.getElementById("case-due") || {}).value || null;
  if (a.note && !note) return say(a.label + "须填写办理说明。");
  if (a.unit === "required" && !unit) return say(a.label + "须选择派至单位。");
  if (a.due && !due) return say(a.label + "须选择新的期限。");
  for (const b of document.querySelectorAll("#case-card .buttons button")) b.disabled = true;
  const body = { expect: c.last_event };
  if (note) body.note = note;
  if (unit && a.unit) body.to = unit;
  if (due && a.due) body.due = due + ":00+08:00";
  try {
    const after = await api("/api/cases/" + c.id + "/" + a.name, body);
    document.getElementById("case-note").value = "";
    showCase(after);
    say("案件 #" + c.id + "：" + a.label + "，现为" + (after.stage_name || stageNames[after.stage]) + "。", null, true);
  } catch (e) {
    refused(e, a.label + "未执行");
    const message = window.gridmap.cases.message;
    await openCase(c.id);  // the case as it is now; the note typed stays
    say(message, e.message);
  }
  await refresh();
  window.gridmap.cases.settled++;
}

// --- the tab ----------------------------------------------------------------------------------
function showTab(tab) {
  const leaving = state.tab;
  state.tab = tab;
  for (const t of ["lookup", "cases", "stats"]) {
    document.getElementById(t).hidden = tab !== t;
    document.getElementById("tab-" + t).classList.toggle("active", tab === t);
  }
  // The 统计 tab's choropleth (stats.js) is drawn on entering and taken off on leaving.
  if (window.statsTab && (tab === "stats") !== (leaving === "stats")) window.statsTab(tab === "stats");
  if (cases.layer) {
    if (tab === "cases") cases.layer.addTo(map); else map.removeLayer(cases.layer);
  }
  if (cases.placeMarker) {
    if (tab === "cases") cases.placeMarker.addTo(map); else map.removeLayer(cases.placeMarker);
  }
}

async function startCases() {
  const pickers = [document.getElementById("case-category"), document.getElementById("case-filter-category")];
  for (const picker of pickers) {
    const groups = new Map();  // a 大类 is data: a Map, not an object
    for (const s of state.services) {
      if (!groups.has(s.group)) groups.set(s.group, picker.appendChild(el("optgroup", { label: s.group })));
      groups.get(s.group).appendChild(el("option", { value: s.service_code }, s.service_code + " " + s.service_name));
    }
  }
  const units = document.getElementById("case-filter-unit");
  for (const f of state.units ? state.units.features : []) {
    units.appendChild(el("option", { value: f.properties.id }, f.properties.name));
  }
  document.getElementById("tab-lookup").addEventListener("click", () => showTab("lookup"));
  document.getElementById("tab-cases").addEventListener("click", () => showTab("cases"));
  document.getElementById("case-category").addEventListener("change", previewRoute);
  document.getElementById("case-category").addEventListener("change", showAttributes);
  document.getElementById("case-geocode").addEventListener("click", geocodeReport);
  document.getElementById("case-address").addEventListener("keydown", e => {
    if (e.key === "Enter") { e.preventDefault(); geocodeReport(); }
  });
  document.getElementById("case-form").addEventListener("submit", submitReport);
  for (const id of ["case-filter-category", "case-filter-unit", "case-from", "case-to", "case-finished"]) {
    document.getElementById(id).addEventListener("change", refresh);
  }
  await whoAmI();
  await previewRoute();
  await refresh();
  window.gridmap.cases.ready = true;
}

window.gridmap.started.then(() => { if (window.gridmap.ready) return startCases(); })
  .catch(e => say("案件加载失败：" + e.message));
