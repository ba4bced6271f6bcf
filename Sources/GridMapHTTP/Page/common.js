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
