// What both pages share: the map with the optional intranet base map, reading gridmap's
// /api (its JSON errors become exceptions carrying their code and grids), the Chinese names
// of resource kinds, and escaping text for HTML.
"use strict";

function makeMap(options) {
  const config = window.GRIDMAP_CONFIG || {};
  const map = L.map("map", options);
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  return map;
}

async function api(path, body) {
  const init = { credentials: "same-origin" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const reply = await r.json();
  // Errors are {"error": {"code", "message", "ids"?}}: the message is for the person at the map.
  if (!r.ok) {
    const e = new Error((reply.error && reply.error.message) || r.statusText);
    e.code = reply.error && reply.error.code;
    e.ids = (reply.error && reply.error.ids) || [];
    throw e;
  }
  return reply;
}

const kindNames = { grid_worker: "网格员", enforcement: "执法人员", service_company: "服务企业",
  service_point: "便民服务点", camera: "监控", venue: "九小场所" };

// Safe inside elements and inside quoted attributes (a grid named with a quote stays whole).
function text(s) {
  return String(s == null ? "" : s).replace(/[&<>"']/g, c =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
