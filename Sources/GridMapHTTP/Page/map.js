// The dispatcher's page: the district's streets, communities and grids as vector layers,
// a click or a search answers with the grid card. Everything comes from gridmap's /api.
"use strict";
const map = makeMap({ preferCanvas: true, zoomSnap: 0.5 });
const state = { layers: {}, labels: [], marker: null, selection: null, resources: {} };
window.gridmap = { ready: false, grids: 0, card: null };

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
    showCard(found, help.resources);
    saveView();
  } catch (e) { msg.textContent = e.message; }
}

function showCard(found, help) {
  const card = document.getElementById("card");
  window.gridmap.card = found;
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
    workers + officers + "</table>";
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
  const kinds = [...new Set((await api("/api/layers/resources")).features.map(f => f.properties.kind))].sort();
  const box = document.getElementById("kinds");
  for (const k of kinds) {
    const label = document.createElement("label");
    label.innerHTML = "<input type=checkbox value='" + text(k) + "'> " + text(k);
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
