// The dispatcher's page: the district's streets, communities and grids as vector layers,
// a click or a search answers with the grid card. Everything comes from gridmap's /api.
"use strict";
const map = makeMap({ preferCanvas: true, zoomSnap: 0.5 });
const state = { layers: {}, labels: [], marker: null, selection: null, resources: {}, units: null, drawn: {},
  services: [], tab: "lookup" };
window.gridmap = { ready: false, grids: 0, card: null, route: null };

const styles = {
  outline: { color: "#222", weight: 3, fill: false },
  streets: { color: "#b35a00", weight: 2.5, fill: false },
  communities: { color: "#1d4f91", weight: 1.5, fill: false, dashArray: "4 3" },
  grids: { color: "#666", weight: 0.7, fillColor: "#9ec5e8", fillOpacity: 0.12 },
};

// Labels by zoom: streets when the district is in view, communities closer, then grid codes,
// and grid names too when close enough for them to fit. Each kind's class and its rank when
// labels compete for room (placeLabels).
const labelZoom = { streets: [0, 13], communities: [13, 15], grids: [15, 17], gridNames: [17, 30] };
const labelKind = { streets: ["street", 3], communities: ["community", 2], grids: ["grid", 1] };

async function loadLayer(name) {
  const data = await api("/api/layers/" + name);
  const layer = L.geoJSON(data, { style: styles[name], interactive: false });
  layer.addTo(map);
  state.layers[name] = layer;
  if (labelZoom[name]) {
    const [kind, rank] = labelKind[name];
    const label = (f, words, range) => state.labels.push(areaLabel(f, words, kind, range, rank));
    layer.eachLayer(f => {
      const p = f.feature.properties;
      if (name !== "grids") return label(f, p.name, labelZoom[name]);
      label(f, p.id.slice(-3), labelZoom.grids);
      label(f, p.id.slice(-3) + " " + p.name, labelZoom.gridNames);
    });
  }
  document.getElementById("version").textContent = "数据版本 " + data.data_version;
  return data;
}

const showLabels = () => placeLabels(map, state.labels);

// The link (#zoom/lat/lon, then /lon,lat,crs of the selection, as saveView writes it) read back
// and checked: each number finite, in range and written as a plain decimal, the CRS one the
// engine knows by this name. A part that is not is ignored, so a link chooses a view and a
// point and can add nothing to the page's queries (`#…,wgs84&asof=1` is no selection at all).
const crsNames = ["wgs84", "gcj02", "bd09", "cgcs2000"];
function decimal(s, min, max) {
  return /^-?\d{1,3}(\.\d{1,17})?$/.test(s || "") && +s >= min && +s <= max ? s : null;
}

function readLink(hash) {
  const parts = hash.replace(/^#/, "").split("/"), link = {};
  const [zoom, lat, lon] = [decimal(parts[0], 0, 24), decimal(parts[1], -90, 90), decimal(parts[2], -180, 180)];
  if (zoom !== null && lat !== null && lon !== null) link.view = { zoom: +zoom, lat: +lat, lon: +lon };
  const point = (parts[3] || "").split(",");
  if (parts.length === 4 && (point.length === 2 || point.length === 3)) {
    const [plon, plat, crs = "wgs84"] = point;
    if (decimal(plon, -180, 180) !== null && decimal(plat, -90, 90) !== null && crsNames.includes(crs)) {
      link.selection = { lon: plon, lat: plat, crs };
    }
  }
  return link;
}

function saveView() {
  const c = map.getCenter();
  let hash = "#" + map.getZoom() + "/" + c.lat.toFixed(6) + "/" + c.lng.toFixed(6);
  if (state.selection) hash += "/" + state.selection.lon + "," + state.selection.lat + "," + state.selection.crs;
  history.replaceState(null, "", hash);
}

async function select(lon, lat, crs) {
  const msg = document.getElementById("message");
  msg.textContent = "";
  try {
    if (!crsNames.includes(crs)) throw new Error("未知坐标系");
    const found = await api(withQuery("/api/locate", { lon, lat, crs }));
    const p = found.point;
    const help = await api(withQuery("/api/nearby", { lon: p.lon, lat: p.lat, kind: "enforcement", limit: 3 }));
    state.selection = { lon, lat, crs };
    if (state.marker) map.removeLayer(state.marker);
    state.marker = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#d00", fillOpacity: 0.8 }).addTo(map);
    if (state.highlight) map.removeLayer(state.highlight);
    state.highlight = null;
    if (found.grid) {
      const grid = await api("/api/grid/" + encodeURIComponent(found.grid.id));
      state.highlight = L.geoJSON(grid.geometry, { style: { color: "#d00", weight: 3, fill: false } }).addTo(map);
    }
    // With a category picked, the route too: who must handle it here (一张网).
    const category = document.getElementById("category").value;
    const route = category && found.grid ? await api(withQuery("/api/route", { lon, lat, crs, category })) : null;
    showCard(found, help.resources, route);
    saveView();
  } catch (e) { msg.textContent = e.message; }
}

function showCard(found, help, route) {
  const card = document.getElementById("card");
  window.gridmap.card = found;
  window.gridmap.route = route;
  if (!found.grid) {
    const p = found.point;
    show(card, el("h2", {}, "不在任何网格内"), el("p", { class: "muted" }, p.lon + ", " + p.lat));
    return;
  }
  const g = found.grid, muted = s => el("span", { class: "muted" }, s);
  show(card,
    el("h2", { id: "grid-name" }, g.name),
    el("table", {},
      row("网格", g.id), row("社区", found.community.name), row("街道", found.street.name),
      row("户数/人口", g.households + " / " + g.population),
      found.workers.map(w => row("网格员", w.name, " ", el("b", {}, w.contact))),
      help.map(r => row("执法人员", r.name, " ", r.contact || "", " ", muted(Math.round(r.distance_m) + " 米")))),
    route ? routeCard(route) : null);
}

// A row of the card: its name, then its value's parts (text or elements).
const row = (name, ...value) => el("tr", {}, el("td", {}, name), el("td", {}, value));

// Who handles the report (ROUTE): the unit and its duty phone, its staff, the 属地 chain, the
// time limit, a warning near another unit's border, and the basis of the answer.
const handlers = { unit: "责任单位", grid_worker: "网格员（属地）", community: "社区（属地）", street: "街道（属地）" };
const levels = { grid_worker: "网格员", community: "社区", street: "街道" };
function routeCard(r) {
  const c = r.category, rows = [];
  const muted = s => el("span", { class: "muted" }, s), warn = s => el("span", { class: "warn" }, s);
  rows.push(row("类别", c.name, " ", muted(c.code + " · " + c.group)));
  const basis = c.time_basis === "working" ? " 工作小时（节假日不计）" : " 小时";
  rows.push(row("时限", c.time_limit_hours + basis + "，" + c.due_at.replace("T", " ").slice(0, 16) + " 前办结"));
  rows.push(row("承办", handlers[r.handled_by] || r.handled_by));
  if (r.unit) {
    rows.push(row("责任单位", r.unit.name, " ", muted(r.unit.department_name || "")));
    rows.push(row("值班电话", el("b", {}, r.unit.duty_phone)));
  }
  for (const s of r.staff) {
    const where = s.distance_m != null ? Math.round(s.distance_m) + " 米" : "本网格";
    rows.push(row("执法人员", s.name, " ", s.contact || "", " ", muted(where)));
  }
  for (const n of r.near_border || []) {
    rows.push(row(warn("临界"), warn("距 " + n.name + " " + n.distance_m + " 米，注意核实属地")));
  }
  if (r.fallback) rows.push(row(warn("兜底"), warn("无责任单位覆盖此处，由属地承办")));
  const chain = r.chain.map(l => (levels[l.level] || l.level) + " " + l.name + (l.contact ? " " + l.contact : ""));
  rows.push(row("属地链", chain.join(" → ")));
  rows.push(row("依据", muted("数据版本 " + r.basis.data_version + "，覆盖单位 " +
    ((r.basis.covering_units || []).join("、") || "无"))));
  const title = r.unit ? r.unit.name : handlers[r.handled_by];
  return el("div", { class: "route" }, el("h3", { id: "route-unit" }, title), el("table", {}, rows));
}

// The catalogue (Open311 discovery) as the category picker, grouped by 大类.
async function loadCategories() {
  let services;
  try { services = await api("/open311/v2/services.json"); } catch (e) { return; }  // a map without one
  state.services = services;  // the 案件 tab's pickers and names (cases.js)
  // A Map, not an object: a 大类 is data, and could be named "__proto__".
  const picker = document.getElementById("category"), groups = new Map();
  for (const s of services) {
    if (!groups.has(s.group)) groups.set(s.group, picker.appendChild(el("optgroup", { label: s.group })));
    groups.get(s.group).appendChild(el("option", { value: s.service_code }, s.service_code + " " + s.service_name));
  }
  picker.addEventListener("change", () => {
    const s = state.selection;
    if (s) select(s.lon, s.lat, s.crs);
  });
  document.getElementById("category-picker").hidden = false;
}

// One toggle per department: its units' areas (the department's layer), each with its duty phone.
const palette = ["#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#7f8c8d", "#a04000"];
async function loadDepartments() {
  const units = await api("/api/layers/units");
  if (!units.features.length) return;
  state.units = units;
  const names = new Map();
  for (const f of units.features) {
    names.set(f.properties.department, f.properties.department_name || f.properties.department);
  }
  const box = document.getElementById("departments");
  [...names.keys()].sort().forEach((d, k) => {
    const color = palette[k % palette.length];
    const input = el("input", { type: "checkbox", value: d }), swatch = el("span", { class: "swatch" });
    swatch.style.background = color;  // through the CSSOM: the CSP refuses style attributes
    input.addEventListener("change", e => toggleDepartment(d, color, e.target.checked));
    box.appendChild(el("label", {}, input, " ", swatch, names.get(d)));
  });
  box.hidden = false;
}

function toggleDepartment(department, color, on) {
  if (state.drawn[department]) { map.removeLayer(state.drawn[department]); delete state.drawn[department]; }
  if (!on) return;
  const features = state.units.features.filter(f => f.properties.department === department);
  state.drawn[department] = L.geoJSON({ type: "FeatureCollection", features }, {
    style: { color, weight: 3.5, opacity: 0.9, dashArray: "9 5", fillColor: color, fillOpacity: 0.12 },
    interactive: false,
    onEachFeature: (f, l) => l.bindTooltip(() => el("span", {}, f.properties.name + " " + f.properties.duty_phone),
      { sticky: true }),
  }).addTo(map);
}

async function search(event) {
  event.preventDefault();
  const q = document.getElementById("query").value.trim(), crs = document.getElementById("crs").value;
  const m = q.match(/^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$/);
  if (m) return select(m[1], m[2], crs);
  try {
    const found = await api(withQuery("/api/geocode", { limit: 1, q }));
    const best = (found.candidates || [])[0];
    if (!best) throw new Error(found.reason || "没有找到这个地址");
    map.setView([best.point.lat, best.point.lon], Math.max(map.getZoom(), 16));
    await select(best.point.lon, best.point.lat, "wgs84");
  } catch (e) { document.getElementById("message").textContent = e.message; }
}

async function toggleKind(kind, on) {
  if (!on) { if (state.resources[kind]) map.removeLayer(state.resources[kind]); return; }
  const data = await api(withQuery("/api/layers/resources", { kind }));
  // The tooltip is made when shown, the name as text: thousands of points, few ever hovered.
  state.resources[kind] = L.geoJSON(data, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: "#2a7" })
      .bindTooltip(() => el("span", {}, f.properties.name)),
  }).addTo(map);
}

async function start() {
  const outline = await loadLayer("outline");
  map.fitBounds(L.geoJSON(outline).getBounds());
  await loadLayer("streets");
  await loadLayer("communities");
  const grids = await loadLayer("grids");
  window.gridmap.grids = state.layers.grids.getLayers().length;
  await loadCategories();
  await loadDepartments();
  const kinds = [...new Set((await api("/api/layers/resources")).features.map(f => f.properties.kind))].sort();
  const box = document.getElementById("kinds");
  for (const k of kinds) {
    const input = el("input", { type: "checkbox", value: k });
    input.addEventListener("change", e => toggleKind(k, e.target.checked));
    box.appendChild(el("label", {}, input, " ", kindNames[k] || k));
  }
  const link = readLink(location.hash);
  if (link.view) map.setView([link.view.lat, link.view.lon], link.view.zoom);
  if (link.selection) await select(link.selection.lon, link.selection.lat, link.selection.crs);
  showLabels();
  map.on("zoomend", showLabels);
  map.on("moveend", saveView);
  // On the 案件 tab a click places the report being written (cases.js) rather than looking up.
  // On the 统计 tab it selects the grid, community or street under it (stats.js).
  map.on("click", e => state.tab === "cases" ? placeReport(e.latlng) : state.tab === "stats" ? statsClick(e.latlng)
    : select(e.latlng.lng.toFixed(7), e.latlng.lat.toFixed(7), "wgs84"));
  document.getElementById("search").addEventListener("submit", search);
  window.gridmap.ready = true;
  window.gridmap.renderMs = performance.now();
  document.body.dataset.ready = "true";
  loaded();
}
// cases.js starts once the map is drawn.
window.gridmap.started = start().catch(loadFailed);
