// The planner's page: drafts opened, edited on the map (split, boundary, merge, transfer,
// community, a grid's fields and staff), undone, validated, measured and published; the
// version history compared and the map shown as of any moment. Every edit is the engine's
// own operation (POST /api/plan/drafts/ID/OP, the same request as `PLAN …` and `gridmap plan`);
// its refusal is shown beside the map and the draft stays as it was.
// Each part of the side panel is an entry of `panels` below: a title, when it shows, what it
// reads, how it draws (and what its controls do). Adding a view is adding one entry.
"use strict";
const map = makeMap({ preferCanvas: true });
const state = {
  draft: null, info: null, base: null, draftGrids: { features: [], removed: [] }, rings: [], selected: [],
  tool: null, sketch: null, layers: {}, marker: null, changes: null, communities: [], workers: [],
  compare: null, asOf: null,
};
window.planner = { ready: false, changes: 0, findings: 0, impactRows: 0, edits: 0, lastError: null, published: null };

const toolNames = { split: "分割网格", move_boundary: "调整边界", merge: "合并网格", transfer: "划转区域" };
const toolHelp = {
  split: "在网格上点击画分割线，双击结束（靠近已有顶点或边界会自动吸附）。",
  move_boundary: "先选中网格，再从与相邻网格的共同边界上一点画到另一点，双击结束。",
  merge: "依次点击要合并的网格（同一社区、相邻），再点“确认合并”。",
  transfer: "先选中接收的网格，再画出要划入的区域（多边形），双击结束。",
};
// The engine's refusals and the validation rules in the planner's words, as the server keeps
// them (/api/plan/texts); until they arrive, or if they cannot, the engine's own message stands.
let refusals = {}, ruleNames = {};
const texts = api("/api/plan/texts").then(t => { refusals = t.refusals || {}; ruleNames = t.rules || {}; },
  () => {});
const area = m => m == null ? "" : Math.round(m).toLocaleString() + " m²";

// A table of text: a header row, then rows whose cells are what el takes (text, elements, arrays).
function table(head, rows, id) {
  return el("table", { id }, el("tr", {}, head.map(h => el("th", {}, h))),
    rows.map(r => el("tr", {}, r.map(c => el("td", {}, c)))));
}
const button = (id, label, attrs) => el("button", Object.assign({ id }, attrs), label);
const on = (box, id, f) => { const e = box.querySelector("#" + id); if (e) e.addEventListener("click", f); };
// Items with a space between each two, as the panels set out buttons.
const spaced = items => items.flatMap((x, k) => k ? [" ", x] : [x]);

const panels = [
  {
    title: "草稿", show: () => !state.draft, read: () => api("/api/plan/drafts"),
    draw: d => [
      d.drafts.length === 0 ? el("p", { class: "muted" }, "没有打开的草稿") :
        table(["草稿", "名称", "作者", "基于版本", "操作"], d.drafts.map(x =>
          [el("a", { href: "#draft=" + encodeURIComponent(x.draft) }, x.draft), x.name, x.author, x.base,
            x.operations])),
      el("p", {}, el("input", { id: "draft-name", placeholder: "草稿名称，如：北安社区网格调整" }), " ",
        el("input", { id: "author", placeholder: "作者", size: 8, value: author() }), " ",
        button("open-draft", "新建草稿")),
    ],
    after: (d, box) => on(box, "open-draft", () => act(async () => {
      localStorage.setItem("gridmap.author", box.querySelector("#author").value.trim());
      const created = await api("/api/plan/drafts", { name: box.querySelector("#draft-name").value,
        author: author() });
      location.hash = "draft=" + created.draft;
    })),
  },
  {
    title: "编辑", show: () => state.draft, read: id => api("/api/plan/drafts/" + encodeURIComponent(id)),
    // The draft's name, its tools, its operations (undo removes the last), publish and discard.
    draw: d => {
      state.info = d;
      const tools = Object.keys(toolNames).map(t => button("tool-" + t, toolNames[t],
        { class: state.tool === t ? "active" : null }));
      return [
        el("p", {}, el("b", {}, d.name), " · ", d.author, " · 基于版本 ", d.base, " · ", d.operations, " 步操作 ",
          el("a", { href: "#" }, "返回草稿列表")),
        el("p", { class: "tools" }, spaced(tools)),
        state.tool && el("p", { class: "muted", id: "tool-help" }, toolHelp[state.tool], " ",
          button("tool-cancel", "取消")),
        state.tool === "merge" && el("p", {}, button("merge-now", "确认合并（" + state.selected.length + " 个）")),
        el("p", {}, button("undo", "撤销上一步", { disabled: !d.operations })),
        d.log.length > 0 && el("ol", { class: "log" }, d.log.map(e => el("li", {}, opName(e)))),
        el("p", {}, el("input", { id: "publish-message", placeholder: "发布说明" }), " ", button("publish", "发布"), " ",
          button("discard", state.confirmDiscard ? "确认放弃草稿" : "放弃草稿")),
      ];
    },
    after: (d, box) => {
      for (const t of Object.keys(toolNames)) on(box, "tool-" + t, () => startTool(t));
      on(box, "tool-cancel", () => stopTool(true));
      on(box, "merge-now", () => edit("merge", { grids: state.selected }));
      on(box, "undo", () => edit("undo", {}));
      on(box, "publish", () => publish(box.querySelector("#publish-message").value));
      on(box, "discard", () => {
        if (!state.confirmDiscard) { state.confirmDiscard = true; render(); return; }
        state.confirmDiscard = false;
        act(async () => { await api(draftPath("discard"), {}); location.hash = ""; });
      });
    },
  },
  {
    title: "网格", show: () => state.draft && state.selected.length === 1 && state.tool !== "merge",
    read: id => Promise.all([api(draftPath("grids/" + encodeURIComponent(state.selected[0]))), workers()]),
    draw: ([g, all]) => {
      const staff = g.staff.map(r => [kindNames[r.kind] || r.kind, r.name + " " + (r.contact || ""),
        button("unassign-" + r.id, "移出", { "data-resource": r.id })]);
      const here = new Set(g.staff.map(r => r.id));
      const options = all.filter(w => !here.has(w.id)).map(w => el("option", { value: w.id },
        w.name + "（" + (w.grid_id || "").slice(-6) + "）"));
      const communities = g.bordering_communities.map(c => el("option", { value: c.id }, c.name));
      return [
        el("p", { class: "muted" }, g.id, g.changed && " · 草稿中已改动", " · ", g.community.name),
        el("div", { id: "grid-card" },
          el("label", {}, "名称 ", el("input", { id: "f-name", value: g.name })),
          el("label", {}, "户数 ", el("input", { id: "f-households", type: "number", value: g.households })),
          el("label", {}, "人口 ", el("input", { id: "f-population", type: "number", value: g.population })),
          button("save-fields", "保存")),
        table(["人员", "姓名", ""], staff),
        el("p", {}, el("select", { id: "assign-worker" }, el("option", { value: "" }, "指派网格员…"), options), " ",
          button("assign", "指派")),
        communities.length > 0 && el("p", {},
          el("select", { id: "move-community" }, el("option", { value: "" }, "划入相邻社区…"), communities), " ",
          button("move", "调整社区")),
      ];
    },
    after: ([g], box) => {
      on(box, "save-fields", () => act(async () => {
        for (const field of ["name", "households", "population"]) {
          const value = box.querySelector("#f-" + field).value;
          if (String(g[field]) !== value) await editOnly("set", { grid: g.id, field, value });
        }
        await refresh();
      }));
      box.querySelectorAll("[data-resource]").forEach(b => b.addEventListener("click", () =>
        edit("unassign", { resource: b.dataset.resource })));
      on(box, "assign", () => {
        const resource = box.querySelector("#assign-worker").value;
        if (resource) edit("assign", { resource, grid: g.id });
      });
      on(box, "move", () => {
        const community = box.querySelector("#move-community").value;
        if (community) edit("move_community", { grid: g.id, community }, { select: [] });
      });
    },
  },
  {
    title: "影响", show: () => state.draft, read: id => api(draftPath("impact?changes=1")),
    draw: r => {
      drawChanges(r.changes);
      window.planner.impactRows = r.grids.length;
      const fig = f => f ? [area(f.area_m2), el("br"), f.households + " 户 / " + f.population + " 人"] : "—";
      const status = { created: "新建", retired: "撤销", changed: "改动", vertices_added: "边界加点" };
      return [
        table(["网格", "变化", "之前", "之后"], r.grids.map(g =>
          [[g.id.slice(-6), el("br"), g.name], status[g.status] || g.status, fig(g.before), fig(g.after)])),
        el("p", {}, "迁移地址 " + r.addresses_moved + "，估计迁移居民 " + r.residents_moved_estimated +
          "，人员调整 " + r.staff.length),
      ];
    },
  },
  {
    title: "校验", show: () => state.draft, read: id => api(draftPath("validate")),
    draw: r => {
      window.planner.findings = r.findings.length;
      window.planner.errors = r.findings.filter(f => f.severity === "error").length;
      if (r.findings.length === 0) return el("p", {}, "通过：没有问题");
      return el("ol", { id: "findings" }, r.findings.map((f, k) => el("li", { "data-k": k, class: f.severity },
        el("b", { title: f.rule }, ruleNames[f.rule] || f.rule), " ", f.message,
        f.area_m2 ? " (" + area(f.area_m2) + ")" : "")));
    },
    after: (r, box) => box.querySelectorAll("#findings li").forEach(li => li.addEventListener("click", () =>
      goTo(r.findings[+li.dataset.k]))),
  },
  {
    title: "版本历史", show: () => true, read: () => api("/api/versions"),
    draw: v => {
      const options = chosen => v.versions.map(x => el("option", { value: x.version, selected: x.version === chosen },
        x.version + " · " + shortPaths(x.message).slice(0, 20)));
      // A long message is cut to two lines in the table (map.css); the title holds all of it.
      const note = m => el("span", { class: "note", title: shortPaths(m) }, shortPaths(m));
      const newest = v.versions.length ? v.versions[0].version : 1;
      const c = state.compare;
      return [
        table(["版本", "发布时间", "发布人", "说明", "网格"], v.versions.map(x =>
          [x.version, x.published_at.slice(0, 16).replace("T", " "), x.author, note(x.message),
            x.changed_grids.length]), "history"),
        el("p", {}, "对比 ", el("select", { id: "from" }, options(c ? c.from : Math.max(1, newest - 1))), " → ",
          el("select", { id: "to" }, options(c ? c.to : newest)), " ", button("compare", "对比")),
        c && el("p", { id: "compared" }, "版本 " + c.from + " → " + c.to + "：改动网格 " + c.ids.length + " 个 " +
          c.ids.slice(0, 8).map(id => id.slice(-6)).join("、") + " ", button("compare-clear", "清除")),
        el("p", {}, "查看某一时刻的地图 ", el("input", { id: "asof", type: "datetime-local", step: 1 }), " ",
          button("show-asof", "查看"),
          state.asOf && [" ", button("asof-clear", "回到当前"), el("br"), el("span", { id: "asof-shown" },
            "显示 " + state.asOf.label + " 时的地图（版本 " + state.asOf.version + "）")]),
      ];
    },
    after: (v, box) => {
      on(box, "compare", () => act(() => compare(+box.querySelector("#from").value, +box.querySelector("#to").value)));
      on(box, "compare-clear", () => { clearLayer("compare"); state.compare = null; render(); });
      on(box, "show-asof", () => act(() => showAsOf(box.querySelector("#asof").value)));
      on(box, "asof-clear", () => { clearLayer("asof"); state.asOf = null; render(); });
    },
  },
];

function opName(e) {
  const grid = e.grid ? " " + e.grid.slice(-6) : "";
  const names = { split: "分割", merge: "合并", move_boundary: "调整边界", transfer: "划转", move_community: "调整社区",
    set: "修改", assign: "指派", unassign: "移出", replace: "整层替换", replace_units: "替换责任单位" };
  return (names[e.op] || e.op) + grid + (e.field ? " " + e.field + "=" + e.value : "") +
    (e.grids ? " " + e.grids.map(g => g.slice(-6)).join("+") : "") + (e.resource ? " " + e.resource : "");
}

// The name this browser's planner gave (recorded on drafts and versions; the role decides rights).
const author = () => localStorage.getItem("gridmap.author") || "";

const draftPath = op => "/api/plan/drafts/" + encodeURIComponent(state.draft) + "/" + op;

async function workers() {
  if (!state.workers.length) {
    const layer = await api(withQuery("/api/layers/resources", { kind: "grid_worker" }));
    state.workers = layer.features.map(f => f.properties).sort((a, b) => a.id < b.id ? -1 : 1);
  }
  return state.workers;
}

// Runs a page action; a refusal is shown beside the map and marks the grids it names.
async function act(f) {
  try {
    clearError();
    await f();
  } catch (e) { fail(e); }
}

function fail(e) {
  window.planner.lastError = { code: e.code || null, message: e.message, ids: e.ids || [] };
  const words = refusals[e.code] || "操作未完成";
  show(document.getElementById("message"), el("b", {}, words), "：", e.message,
    e.ids && e.ids.length > 0 && [el("br"), "涉及网格：", el("span", { id: "conflicts" }, e.ids.join("、"))]);
  clearLayer("conflicts");
  const hit = draftFeatures().filter(f => (e.ids || []).includes(f.properties.id));
  if (hit.length) {
    state.layers.conflicts = L.geoJSON({ type: "FeatureCollection", features: hit },
      { style: { color: "#d00", weight: 4, fillColor: "#d00", fillOpacity: 0.25 }, interactive: false }).addTo(map);
  }
}

function clearError() {
  document.getElementById("message").textContent = "";
  window.planner.lastError = null;
  clearLayer("conflicts");
}

function clearLayer(name) {
  if (state.layers[name]) { map.removeLayer(state.layers[name]); delete state.layers[name]; }
}

// One operation on the draft, then the map and panels read again.
async function edit(op, body, options) {
  await act(async () => {
    try {
      await editOnly(op, body);
    } catch (e) {
      // A refused drawing ends its tool (draw again); a refused merge keeps its selection to mend.
      if (state.tool && state.tool !== "merge") stopTool(true);
      throw e;
    }
    stopTool(false);
    if (options && options.select) state.selected = options.select;
    await refresh();
  });
}

async function editOnly(op, body) {
  await api(draftPath(op), body);
  window.planner.edits++;
}

async function publish(message) {
  await act(async () => {
    const body = message ? { message } : {};
    if (author()) body.author = author();
    const v = await api(draftPath("publish"), body);
    window.planner.published = v.version;
    show(document.getElementById("message"), el("span", { class: "ok" }, "已发布为版本 " + v.version));
    state.base = null;
    location.hash = "";
  });
}

// The draft's grids: the base's, with the draft's changed grids in place and its removed ones gone.
function draftFeatures() {
  if (!state.base) return [];
  const replaced = new Set(state.draftGrids.removed.concat(state.draftGrids.features.map(f => f.properties.id)));
  return state.base.features.filter(f => !replaced.has(f.properties.id)).concat(state.draftGrids.features);
}

function gridAt(lon, lat) {
  const f = draftFeatures().find(f => insideGeometry(f.geometry, [lon, lat]));
  return f && f.properties.id;
}

// The district around the grids, so that the page needs no base map: the outline, streets and
// communities as lines, their names as labels by zoom, and the draft's grid codes when close.
const context = { outline: { color: "#222", weight: 3, fill: false },
  streets: { color: "#b35a00", weight: 2.5, fill: false },
  communities: { color: "#1d4f91", weight: 1.5, fill: false, dashArray: "4 3" } };
const labelZoom = { streets: [0, 13], communities: [13, 16], grid: [16, 30] };
// Each kind's class and its rank when labels compete for room (placeLabels).
const labelKind = { streets: ["street", 3], communities: ["community", 2], grid: ["grid", 1] };

async function loadContext() {
  state.labels = [];
  for (const name of Object.keys(context)) {
    const layer = L.geoJSON(await api("/api/layers/" + name), { style: context[name], interactive: false }).addTo(map);
    if (labelZoom[name]) layer.eachLayer(f => state.labels.push(label(f, f.feature.properties.name, name)));
  }
  map.on("zoomend", showLabels);
}

const label = (f, name, kind) => areaLabel(f, name, labelKind[kind][0], labelZoom[kind], labelKind[kind][1]);

// Grid codes (last three digits) of the draft's grids as they now stand.
function labelGrids() {
  for (const l of state.gridLabels || []) map.removeLayer(l.marker);
  state.gridLabels = [];
  L.geoJSON({ type: "FeatureCollection", features: draftFeatures() }).eachLayer(f =>
    state.gridLabels.push(label(f, f.feature.properties.id.slice(-3), "grid")));
  showLabels();
}

const showLabels = () => placeLabels(map, state.labels.concat(state.gridLabels || []));

async function loadBase() {
  if (!state.labels) await loadContext();
  state.base = await api("/api/layers/grids");
  clearLayer("base");
  state.layers.base = L.geoJSON(state.base, { style: { color: "#888", weight: 0.7, fill: false },
    interactive: false }).addTo(map);
  if (!state.fitted) { map.fitBounds(state.layers.base.getBounds()); state.fitted = true; }
}

async function refresh() {
  // Not ready until every panel has read and drawn the draft as it now is.
  window.planner.ready = false;
  if (!state.base) await loadBase();
  if (state.draft) {
    const reply = await api(draftPath("grids"));
    state.draftGrids = { features: reply.grids.features, removed: reply.removed };
  } else state.draftGrids = { features: [], removed: [] };
  state.rings = gridRings(draftFeatures());
  const replaced = new Set(state.draftGrids.removed.concat(state.draftGrids.features.map(g => g.properties.id)));
  state.layers.base.setStyle(f => replaced.has(f.properties.id) ? { opacity: 0 } :
    { color: "#888", weight: 0.7, opacity: 1, fill: false });
  clearLayer("draft");
  state.layers.draft = L.geoJSON(state.draftGrids, { style: { color: "#06c", weight: 2, fillOpacity: 0.08 },
    interactive: false }).addTo(map);
  drawSelection();
  labelGrids();
  await render();
}

function drawSelection() {
  clearLayer("selection");
  const chosen = draftFeatures().filter(f => state.selected.includes(f.properties.id));
  state.layers.selection = L.geoJSON({ type: "FeatureCollection", features: chosen },
    { style: { color: "#f80", weight: 3, fillColor: "#f80", fillOpacity: 0.2 }, interactive: false }).addTo(map);
  window.planner.selected = state.selected.slice();
}

// A click with no drawing under way picks the grid under it (in merge, adds it or takes it away).
map.on("click", e => {
  if (!state.draft || state.sketch) return;
  const id = gridAt(e.latlng.lng, e.latlng.lat);
  if (state.tool === "merge") {
    if (id) state.selected = state.selected.includes(id) ? state.selected.filter(x => x !== id)
      : state.selected.concat([id]);
  } else state.selected = id ? [id] : [];
  drawSelection();
  render();
});

function startTool(tool) {
  stopTool(false);
  clearError();
  state.tool = tool;
  // A merge is of the grids clicked from now on.
  if (tool === "merge") { state.selected = []; drawSelection(); render(); return; }
  if ((tool === "move_boundary" || tool === "transfer") && state.selected.length !== 1) {
    fail({ message: toolHelp[tool] });
    state.tool = null;
    return;
  }
  state.sketch = new Sketch(map, {
    polygon: tool === "transfer", rings: state.rings,
    done: points => finishDrawing(tool, points), cancel: () => stopTool(true),
  });
  render();
}

function stopTool(redraw) {
  if (state.sketch) state.sketch.stop();
  state.sketch = null;
  state.tool = null;
  if (redraw) render();
}

// A finished drawing becomes the tool's operation.
function finishDrawing(tool, points) {
  state.sketch = null;
  const selected = state.selected[0];
  if (tool === "split") {
    // The grid chosen, else the one under the middle of the line's longest stretch.
    let grid = selected;
    if (!grid) {
      let best = 0;
      for (let i = 0; i + 1 < points.length; i++) {
        const [a, b] = [points[i].point, points[i + 1].point], d = Math.hypot(b[0] - a[0], b[1] - a[1]);
        if (d > best) { best = d; grid = gridAt((a[0] + b[0]) / 2, (a[1] + b[1]) / 2); }
      }
    }
    return edit("split", { grid, line: lineGeometry(points) }, { select: [] });
  }
  if (tool === "move_boundary") {
    // The neighbour is the other grid whose boundary holds both ends of the new course.
    const first = points[0].grids, last = points[points.length - 1].grids;
    const neighbour = first.find(g => g !== selected && last.includes(g));
    if (!neighbour) {
      stopTool(true);
      return fail({ code: "wrong_ends", message: "两端都要吸附在所选网格与同一相邻网格的共同边界上" });
    }
    return edit("move_boundary", { grid: selected, neighbour, line: lineGeometry(points) });
  }
  // transfer: from the grids the area reaches, other than the one receiving it.
  const polygon = polygonGeometry(points);
  const sources = new Set();
  for (const f of draftFeatures()) {
    const id = f.properties.id;
    if (id === selected) continue;
    const reached = points.some(p => insideGeometry(f.geometry, p.point)) ||
      gridRings([f]).some(r => r.coords.some(c => insideGeometry(polygon, c)));
    if (reached) sources.add(id);
  }
  return edit("transfer", { target: selected, area: polygon, sources: [...sources] });
}

function drawChanges(changes) {
  if (state.changes) map.removeLayer(state.changes);
  state.changes = L.geoJSON(changes, {
    interactive: false,
    style: f => f.properties.state === "before" ? { color: "#c00", weight: 2, dashArray: "5 4", fill: false }
      : { color: "#06c", weight: 3, fillColor: "#06c", fillOpacity: 0.15 },
  }).addTo(map);
  window.planner.changes = changes.features.length;
}

// A finding's place: its location, else its grids.
function goTo(f) {
  if (state.marker) map.removeLayer(state.marker);
  if (f.location) {
    map.setView([f.location[1], f.location[0]], 18, { animate: false });
    state.marker = L.circleMarker([f.location[1], f.location[0]], { radius: 9, color: "#f80" }).addTo(map);
  } else if (state.changes) {
    const hit = state.changes.getLayers().filter(l => f.grids.includes(l.feature.properties.id));
    if (hit.length) map.fitBounds(L.featureGroup(hit).getBounds());
  }
  window.planner.focused = f;
}

// Two versions' changed grids: before (red, dashed) and after (blue).
async function compare(from, to) {
  const diff = await api(withQuery("/api/diff", { from, to }));
  const ids = diffGrids(diff);
  const [a, b] = await Promise.all([from, to].map(asof => api(withQuery("/api/layers/grids", { asof }))));
  const pick = (layer, stateName) => layer.features.filter(f => ids.includes(f.properties.id))
    .map(f => ({ type: "Feature", properties: { id: f.properties.id, state: stateName }, geometry: f.geometry }));
  clearLayer("compare");
  const features = pick(a, "before").concat(pick(b, "after"));
  state.layers.compare = L.geoJSON({ type: "FeatureCollection", features }, { interactive: false,
    style: f => f.properties.state === "before" ? { color: "#c00", weight: 2, dashArray: "5 4", fill: false }
      : { color: "#093", weight: 3, fillColor: "#093", fillOpacity: 0.2 } }).addTo(map);
  if (features.length) map.fitBounds(state.layers.compare.getBounds(), { maxZoom: 17 });
  state.compare = { from, to, ids, features: features.length };
  window.planner.compare = state.compare;
  await render();
}

// The grid ids a diff names: {layers: {grids: {added: [id], removed: [id], changed: [{id, …}]}}}.
function diffGrids(diff) {
  const g = diff.layers.grids;
  return [...new Set(g.added.concat(g.removed, g.changed.map(c => c.id)))].sort();
}

// The map as it was at a moment (a datetime-local value, the browser's time zone).
async function showAsOf(value) {
  if (!value) throw new Error("请先选择日期和时间");
  const when = new Date(value).toISOString();
  const layer = await api(withQuery("/api/layers/grids", { asof: when }));
  clearLayer("asof");
  state.layers.asof = L.geoJSON(layer, { style: { color: "#707", weight: 1.5, fill: false, dashArray: "2 3" },
    interactive: false }).addTo(map);
  state.asOf = { label: value.replace("T", " "), version: await versionAt(when), grids: layer.features.length };
  window.planner.asOf = state.asOf;
  await render();
}

async function versionAt(when) {
  const v = await api("/api/version/" + encodeURIComponent(when));
  return v.version;
}

async function render() {
  const root = document.getElementById("panels");
  const boxes = [];
  for (const p of panels) {
    if (!p.show()) continue;
    boxes.push([p, el("section", {}, el("h2", {}, p.title), "…"), p.read(state.draft)]);
  }
  root.replaceChildren(...boxes.map(b => b[1]));
  for (const [p, box, reading] of boxes) {
    const title = el("h2", {}, p.title);
    try {
      const data = await reading;
      show(box, title, p.draw(data));
      if (p.after) p.after(data, box);
    } catch (e) { show(box, title, el("p", { class: "error" }, e.message)); }
  }
  window.planner.ready = true;
}

async function openFromHash() {
  window.planner.ready = false;
  stopTool(false);
  const draft = (location.hash.match(/draft=(\d+)/) || [])[1] || null;
  if (draft !== state.draft) state.selected = [];
  state.draft = draft;
  state.confirmDiscard = false;
  if (!draft && state.changes) { map.removeLayer(state.changes); state.changes = null; }
  await refresh();
}

window.addEventListener("hashchange", () => openFromHash().catch(fail));
// The first load: the notice over the map (and the panel's) until the map and panels are drawn.
texts.then(openFromHash).then(loaded, e => {
  document.getElementById("panels").replaceChildren();
  loadFailed(e);
});
