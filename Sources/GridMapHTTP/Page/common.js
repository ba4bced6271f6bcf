// What both pages share: the map with the optional intranet base map, reading gridmap's
// /api (its JSON errors become exceptions), and escaping text for HTML.
"use strict";

function makeMap(options) {
  const config = window.GRIDMAP_CONFIG || {};
  const map = L.map("map", options);
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  return map;
}

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  const body = await r.json();
  // Errors are {"error": {"code", "message"}}: the message is for the person at the map.
  if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
  return body;
}

function text(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : s; return d.innerHTML; }
