// What both pages share: the map with the optional intranet base map, reading gridmap's
// /api (its JSON errors become exceptions carrying their code and grids), the Chinese names
// of resource kinds, and building the page from data.
// Data is only ever text on these pages: names, phones and messages come from whoever edits
// the map, so they go into elements as text nodes and attribute values (el below), never
// through innerHTML or a Leaflet string (which Leaflet parses as HTML). The server sends a
// Content-Security-Policy without 'unsafe-inline': no inline scripts, handlers or style
// attributes; styles are set through element.style, which the policy allows.
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
  // A reply that is not JSON (a proxy's error page) is named by its status, not by the parser.
  const reply = await r.json().catch(() => null);
  if (r.ok && reply === null) throw new Error("服务器的回答无法读取（HTTP " + r.status + "）");
  // Errors are {"error": {"code", "message", "ids"?}}: the message is for the person at the map.
  if (!r.ok) {
    const error = (reply && reply.error) || {};
    const e = new Error(error.message || "HTTP " + r.status + " " + r.statusText);
    e.code = error.code;
    e.ids = error.ids || [];
    throw e;
  }
  return reply;
}

// A path with its query, every value encoded on its own: a value can never add a parameter
// (`&asof=…`). encodeURIComponent rather than URLSearchParams, whose "+" for a space the
// server reads as a plus sign. Values that are null or undefined are left out.
function withQuery(path, params) {
  const pairs = Object.entries(params).filter(([, v]) => v != null)
    .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(String(v)));
  return pairs.length ? path + "?" + pairs.join("&") : path;
}

// Children as el and show take them: nodes, or text (strings, numbers), arrays of these at
// any depth; null, undefined and false are skipped, so that optional parts can be written inline.
function nodes(children) {
  return [children].flat(Infinity).filter(c => c != null && c !== false);
}

// An element with attributes and children, all of it text: el("td", { class: "muted" }, name,
// " ", el("b", {}, phone)). Attribute values are set as text (true: present, false or null:
// absent); handler attributes are refused, handlers are added with addEventListener.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (/^on/i.test(name) || name.toLowerCase() === "style") throw new Error("el: no " + name + " attribute");
    if (value != null && value !== false) e.setAttribute(name, value === true ? "" : String(value));
  }
  e.append(...nodes(children));
  return e;
}

// Replaces what `parent` shows with `children` (as el takes them).
function show(parent, ...children) {
  parent.replaceChildren(...nodes(children));
  return parent;
}

const kindNames = { grid_worker: "网格员", enforcement: "执法人员", service_company: "服务企业",
  service_point: "便民服务点", camera: "监控", venue: "九小场所" };

// The page's loading notice (#loading, in the HTML so that it shows from the first paint, before
// any script or data): removed once the map is drawn; if loading fails it stays, saying so in
// Chinese with the server's message, rather than promising a map that will not come.
function loaded() {
  const notice = document.getElementById("loading");
  if (notice) notice.remove();
}

function loadFailed(e) {
  const text = "地图加载失败：" + e.message;
  const notice = document.getElementById("loading");
  if (notice) {
    notice.classList.add("failed");
    notice.textContent = text;
  }
  document.getElementById("message").textContent = text;
}

// A version's message as the pages show it: an absolute path in it (an import's "imported from
// /home/x/gridmap/data/yufeng") cut to its last two parts ("data/yufeng"). Where the server keeps
// its files is not the reader's business, and an unbreakable path does not fit the panel. A path
// starts at a "/" after a space, a bracket, a quote or "=" (not in "a/b", "</b>" or "http://").
function shortPaths(text) {
  return String(text == null ? "" : text).replace(/(^|[\s(（\[「《"'“‘=：])(\/[^\s)）\]」》"'”’,，;；。]+)/g,
    (whole, before, path) => {
      const parts = path.split("/").filter(p => p);
      return parts.length ? before + parts.slice(-2).join("/") : whole;
    });
}

// Names of areas on the map (streets, communities, grids): a label at the middle of a feature's
// box, shown in a range of zooms. Its content is an element holding the name as text (a string
// would be parsed as HTML). `rank` orders kinds when labels compete for room (streets first),
// then the larger area wins.
function areaLabel(layer, words, kind, range, rank) {
  return { range, rank, area: geometryArea(layer.feature.geometry), size: null,
    marker: L.marker(layer.getBounds().getCenter(), { interactive: false,
      icon: L.divIcon({ className: "label " + kind, html: el("span", {}, words), iconSize: null }) }) };
}

// A polygon's or multipolygon's area in square degrees (outer rings less holes): only to rank labels.
function geometryArea(g) {
  const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  const ring = r => Math.abs(r.reduce((s, [x, y], i) => {
    const [x1, y1] = r[(i + 1) % r.length];
    return s + x * y1 - x1 * y;
  }, 0)) / 2;
  return polygons.reduce((sum, p) => sum + p.reduce((a, r, k) => k ? a - ring(r) : a + ring(r), 0), 0);
}

// Shows the labels whose range holds the map's zoom, and of those hides each whose box would
// overlap one already placed (greedy, by rank then area): in the dense core a name is never drawn
// over another. Hidden labels stay in the map with visibility: hidden, keeping their measured size.
// Placed over the whole district rather than the view: their positions relative to each other
// change only with the zoom, so this runs on zoomend, and panning never makes a label appear or vanish.
const labelGap = 2;  // pixels kept clear around each label
function placeLabels(map, labels) {
  const z = map.getZoom(), shown = [];
  for (const l of labels) {
    const on = z >= l.range[0] && z < l.range[1];
    if (on && !map.hasLayer(l.marker)) l.marker.addTo(map);
    if (!on && map.hasLayer(l.marker)) map.removeLayer(l.marker);
    if (on) shown.push(l);
  }
  // Each label measured once, the first time it is shown (its text and font never change); all
  // the reads come before the writes below, so that the page lays out once.
  for (const l of shown) {
    if (!l.size) {
      const span = l.marker.getElement().firstChild;
      l.size = { w: span.offsetWidth, h: span.offsetHeight };
    }
  }
  shown.sort((a, b) => b.rank - a.rank || b.area - a.area);
  const placed = [];
  for (const l of shown) {
    const p = map.latLngToLayerPoint(l.marker.getLatLng());
    const w = l.size.w / 2 + labelGap, h = l.size.h / 2 + labelGap;
    const box = [p.x - w, p.y - h, p.x + w, p.y + h];
    const free = placed.every(b => box[2] <= b[0] || box[0] >= b[2] || box[3] <= b[1] || box[1] >= b[3]);
    if (free) placed.push(box);
    l.marker.getElement().classList.toggle("crowded", !free);
  }
}
