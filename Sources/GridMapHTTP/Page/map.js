// The dispatcher's page: the district's streets, communities and grids as vector layers,
// a click or a search answers with the grid card. Everything comes from gridmap's /api.
"use strict";
const map = makeMap({ preferCanvas: true, zoomSnap: 0.5 });
const state = { layers: {}, labels: [], marker: null, selection: null, resources: {}, units: null, drawn: {} };
window.gridmap = { ready: false, grids: 0, card: null, route: null };

const styles = {
  outline: { color: "#222", weight: 3, fill: false },
  streets: { color: "#b35a00", weight: 2.5, fill: false },
  communities: { color: "#1d4f91", weight: 1.5, fill: false, dashArray: "4 3" },
  grids: { color: "#666", weight: 0.7, fillColor: "#9ec5e8", fillOpacity: 0.12 },
};

// Labels by zoom: streets when the district is in view, communities closer, then grid codes,
// and grid names too when close enough for them to fit.
const labelZoom = { streets: [0, 13], communities: [13, 15], grids: [15, 17], gridNames: [17, 30] };

async function loadLayer(name) {
  const data = await api("/api/layers/" + name);
  const layer = L.geoJSON(data, { style: styles[name], interactive: false });
  layer.addTo(map);
  state.layers[name] = layer;
  if (labelZoom[name]) {
    const label = (f, html, range) => state.labels.push({ range, marker: L.marker(f.getBounds().getCenter(), {
      interactive: false, icon: L.divIcon({ className: "label " + name.replace(/s$/, ""), html, iconSize: null }),
    }) });
    layer.eachLayer(f => {
      const p = f.feature.properties;
      if (name !== "grids") return label(f, text(p.name), labelZoom[name]);
      label(f, text(p.id.slice(-3)), labelZoom.grids);
      label(f, text(p.id.slice(-3) + " " + p.name), labelZoom.gridNames);
    });
  }
  document.getElementById("version").textContent = "数据版本 " + data.data_version;
  return data;
}

function showLabels() {
  const z = map.getZoom();
  for (const l of state.labels) {
    const on = z >= l.range[0] && z < l.range[1];
    if (on && !map.hasLayer(l.marker)) l.marker.addTo(map);
    if (!on && map.hasLayer(l.marker)) map.removeLayer(l.marker);
  }
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
    const q = "lon=" + lon + "&lat=" + lat + "&crs=" + crs;
    const found = await api("/api/locate?" + q);
    const p = found.point;
    const help = await api("/api/nearby?lon=" + p.lon + "&lat=" + p.lat + "&kind=enforcement&limit=3");
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
      const route = category && found.grid
      ? await api("/api/route?" + q + "&category=" + encodeURIComponent(category)) : null;
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
    card.innerHTML = "<h2>不在任何网格内</h2><p class=muted>" + p.lon + ", " + p.lat + "</p>";
    return;
  }
  const workers = found.workers.map(w => "<tr><td>网格员</td><td>" + text(w.name) + " <b>" + text(w.contact) +
    "</b></td></tr>").join("");
  const officers = help.map(r => "<tr><td>执法人员</td><td>" + text(r.name) + " " +
    text(r.contact || "") +
    " <span class=muted>" + Math.round(r.distance_m) + " 米</span></td></tr>").join("");
  card.innerHTML = "<h2 id=grid-name>" + text(found.grid.name) + "</h2><table>" +
    "<tr><td>网格</td><td>" + text(found.grid.id) + "</td></tr>" +
    "<tr><td>社区</td><td>" + text(found.community.name) + "</td></tr>" +
    "<tr><td>街道</td><td>" + text(found.street.name) + "</td></tr>" +
    "<tr><td>户数/人口</td><td>" + found.grid.households + " / " + found.grid.population + "</td></tr>" +
    workers + officers + "</table>" + (route ? routeHTML(route) : "");
}

// Who handles the report (ROUTE): the unit and its duty phone, its staff, the 属地 chain, the
// time limit, a warning near another unit's border, and the basis of the answer.
const handlers = { unit: "责任单位", grid_worker: "网格员（属地）", community: "社区（属地）", street: "街道（属地）" };
const levels = { grid_worker: "网格员", community: "社区", street: "街道" };
function routeHTML(r) {
  const c = r.category, rows = [];
  const row = (k, v) => rows.push("<tr><td>" + k + "</td><td>" + v + "</td></tr>");
  row("类别", text(c.name) + " <span class=muted>" + text(c.code) + " · " + text(c.group) + "</span>");
  row("时限", c.time_limit_hours + " 小时，" + text(c.due_at.replace("T", " ").slice(0, 16)) + " 前办结");
  row("承办", handlers[r.handled_by] || text(r.handled_by));
  if (r.unit) {
    row("责任单位", text(r.unit.name) + " <span class=muted>" + text(r.unit.department_name || "") + "</span>");
    row("值班电话", "<b>" + text(r.unit.duty_phone) + "</b>");
  }
  for (const s of r.staff) {
    const where = s.distance_m != null ? Math.round(s.distance_m) + " 米" : "本网格";
    row("执法人员", text(s.name) + " " + text(s.contact || "") + " <span class=muted>" + where + "</span>");
  }
  for (const n of r.near_border || []) {
    row("<span class=warn>临界</span>", "<span class=warn>距 " + text(n.name) + " " + n.distance_m +
      " 米，注意核实属地</span>");
  }
  if (r.fallback) row("<span class=warn>兜底</span>", "<span class=warn>无责任单位覆盖此处，由属地承办</span>");
  const chain = r.chain.map(l => (levels[l.level] || l.level) + " " + text(l.name) +
    (l.contact ? " " + text(l.contact) : ""));
  row("属地链", chain.join(" → "));
  row("依据", "<span class=muted>数据版本 " + text(r.basis.data_version) + "，覆盖单位 " +
    text((r.basis.covering_units || []).join("、") || "无") + "</span>");
  const title = r.unit ? r.unit.name : handlers[r.handled_by];
  return "<div class=route><h3 id=route-unit>" + text(title) + "</h3><table>" + rows.join("") + "</table></div>";
}

// The catalogue (Open311 discovery) as the category picker, grouped by 大类.
async function loadCategories() {
  let services;
  try { services = await api("/open311/v2/services.json"); } catch (e) { return; }  // a map without one
  const picker = document.getElementById("category"), groups = {};
  for (const s of services) {
    if (!groups[s.group]) {
      groups[s.group] = document.createElement("optgroup");
      groups[s.group].label = s.group;
      picker.appendChild(groups[s.group]);
    }
    const o = document.createElement("option");
    o.value = s.service_code;
    o.textContent = s.service_code + " " + s.service_name;
    groups[s.group].appendChild(o);
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
  const names = {};
  for (const f of units.features) {
    names[f.properties.department] = f.properties.department_name || f.properties.department;
  }
  const box = document.getElementById("departments");
  Object.keys(names).sort().forEach((d, k) => {
    const label = document.createElement("label");
    label.innerHTML = "<input type=checkbox value='" + text(d) + "'> <span class=swatch style='background:" +
      palette[k % palette.length] + "'></span>" + text(names[d]);
    const color = palette[k % palette.length];
    label.firstChild.addEventListener("change", e => toggleDepartment(d, color, e.target.checked));
    box.appendChild(label);
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
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name + " " + f.properties.duty_phone, { sticky: true }),
  }).addTo(map);
}

async function search(event) {
  event.preventDefault();
  const q = document.getElementById("query").value.trim(), crs = document.getElementById("crs").value;
  const m = q.match(/^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$/);
  if (m) return select(m[1], m[2], crs);
  try {
    const found = await api("/api/geocode?limit=1&q=" + encodeURIComponent(q));
    const best = (found.candidates || [])[0];
    if (!best) throw new Error(found.reason || "没有找到这个地址");
    map.setView([best.point.lat, best.point.lon], Math.max(map.getZoom(), 16));
    await select(best.point.lon, best.point.lat, "wgs84");
  } catch (e) { document.getElementById("message").textContent = e.message; }
}

async function toggleKind(kind, on) {
  if (!on) { if (state.resources[kind]) map.removeLayer(state.resources[kind]); return; }
  const data = await api("/api/layers/resources?kind=" + encodeURIComponent(kind));
  state.resources[kind] = L.geoJSON(data, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: "#2a7" }).bindTooltip(f.properties.name),
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
    const label = document.createElement("label");
    label.innerHTML = "<input type=checkbox value='" + text(k) + "'> " + text(kindNames[k] || k);
    label.firstChild.addEventListener("change", e => toggleKind(k, e.target.checked));
    box.appendChild(label);
  }
  const view = location.hash.slice(1).split("/");
  if (view.length >= 3) map.setView([+view[1], +view[2]], +view[0]);
  if (view.length >= 4) { const [lon, lat, crs] = view[3].split(","); await select(lon, lat, crs || "wgs84"); }
  showLabels();
  map.on("zoomend", showLabels);
  map.on("moveend", saveView);
  map.on("click", e => select(e.latlng.lng.toFixed(7), e.latlng.lat.toFixed(7), "wgs84"));
  document.getElementById("search").addEventListener("submit", search);
  window.gridmap.ready = true;
  window.gridmap.renderMs = performance.now();
  document.body.dataset.ready = "true";
}
start().catch(e => { document.getElementById("message").textContent = e.message; });
