// Drawing on the map for planners: a line (a split, a boundary's new course) or a polygon
// (an area to transfer), a vertex per click, finished by a double click, cancelled by Esc.
// Each vertex snaps to the draft's grid boundaries within `snapPixels`: to a vertex first,
// else to the nearest point of an edge, so that a boundary drawn from one point of the old
// one to another starts and ends exactly on it. The project's own code, on Leaflet only.
"use strict";
const snapPixels = 8;

// Rings of the draft's grids, for snapping and for finding the grid under a point:
// [{id, coords: [[lon, lat], …], bounds}], one per ring of every polygon.
function gridRings(features) {
  const rings = [];
  for (const f of features) {
    const g = f.geometry;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const polygon of polygons) {
      for (const coords of polygon) {
        rings.push({ id: f.properties.id, coords, bounds: L.latLngBounds(coords.map(c => [c[1], c[0]])) });
      }
    }
  }
  return rings;
}

// Whether [lon, lat] is inside a GeoJSON polygon or multipolygon (even-odd over its rings).
function insideGeometry(g, p) {
  const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  return polygons.some(polygon => polygon.reduce((inside, ring) => inside !== insideRing(ring, p), false));
}

function insideRing(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// The snapped position of a click: {point: [lon, lat], grids: ids whose boundary holds it,
// snap: "vertex" | "edge" | null}. Only rings in view are looked at.
function snapPoint(map, latlng, rings) {
  const p = map.latLngToContainerPoint(latlng);
  const view = map.getBounds().pad(0.2);
  const near = rings.filter(r => view.intersects(r.bounds));
  const screen = c => map.latLngToContainerPoint([c[1], c[0]]);
  let best = null;
  for (const r of near) {
    for (const c of r.coords) {
      const d = screen(c).distanceTo(p);
      if (d <= snapPixels && (!best || d < best.d)) best = { d, point: c, snap: "vertex" };
    }
  }
  if (!best) {
    for (const r of near) {
      for (let i = 0; i + 1 < r.coords.length; i++) {
        const a = screen(r.coords[i]), b = screen(r.coords[i + 1]);
        const dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
        if (len2 === 0) continue;
        const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
        const d = L.point(a.x + t * dx, a.y + t * dy).distanceTo(p);
        if (d <= snapPixels && (!best || d < best.d)) {
          // Interpolated in degrees, not read back from the screen: the point lies on the edge.
          const [x0, y0] = r.coords[i], [x1, y1] = r.coords[i + 1];
          best = { d, point: [x0 + t * (x1 - x0), y0 + t * (y1 - y0)], snap: "edge" };
        }
      }
    }
  }
  if (!best) return { point: [latlng.lng, latlng.lat], grids: [], snap: null };
  // The grids whose boundary passes through the snapped point (within half a pixel).
  const q = screen(best.point), grids = new Set();
  for (const r of near) {
    for (let i = 0; i < r.coords.length; i++) {
      const a = screen(r.coords[i]);
      if (a.distanceTo(q) < 0.5) { grids.add(r.id); break; }
      if (i + 1 < r.coords.length) {
        const b = screen(r.coords[i + 1]), dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
        if (len2 === 0) continue;
        const t = Math.max(0, Math.min(1, ((q.x - a.x) * dx + (q.y - a.y) * dy) / len2));
        if (L.point(a.x + t * dx, a.y + t * dy).distanceTo(q) < 0.5) { grids.add(r.id); break; }
      }
    }
  }
  return { point: best.point, grids: [...grids], snap: best.snap };
}

// One drawing in progress. `options`: polygon (close the ring), rings (what to snap to),
// done(points) with points [{point, grids, snap}], cancel().
class Sketch {
  constructor(map, options) {
    this.map = map;
    this.options = options;
    this.points = [];
    this.line = L.polyline([], { color: "#e60", weight: 3, dashArray: options.polygon ? "6 4" : null,
      interactive: false }).addTo(map);
    this.cursor = L.circleMarker([0, 0], { radius: 5, color: "#e60", interactive: false });
    this.handlers = {
      click: e => this.add(e.latlng),
      dblclick: e => { L.DomEvent.stop(e); this.finish(); },
      mousemove: e => this.hover(e.latlng),
    };
    this.key = e => { if (e.key === "Escape") { this.stop(); options.cancel && options.cancel(); } };
    map.doubleClickZoom.disable();
    map.on(this.handlers);
    document.addEventListener("keydown", this.key);
    map.getContainer().style.cursor = "crosshair";
  }

  add(latlng) {
    const s = snapPoint(this.map, latlng, this.options.rings);
    const last = this.points[this.points.length - 1];
    // The two clicks of a double click land on one place: one vertex.
    if (last && this.map.latLngToContainerPoint([last.point[1], last.point[0]])
      .distanceTo(this.map.latLngToContainerPoint([s.point[1], s.point[0]])) < 3) return;
    this.points.push(s);
    this.redraw();
  }

  hover(latlng) {
    const s = snapPoint(this.map, latlng, this.options.rings);
    this.cursor.setLatLng([s.point[1], s.point[0]]).setStyle({ color: s.snap ? "#0a0" : "#e60" });
    if (!this.map.hasLayer(this.cursor)) this.cursor.addTo(this.map);
    this.redraw([s.point[1], s.point[0]]);
  }

  redraw(extra) {
    const ll = this.points.map(p => [p.point[1], p.point[0]]);
    if (extra) ll.push(extra);
    if (this.options.polygon && ll.length > 2) ll.push(ll[0]);
    this.line.setLatLngs(ll);
  }

  finish() {
    const needed = this.options.polygon ? 3 : 2;
    if (this.points.length < needed) return;
    const points = this.points;
    this.stop();
    this.options.done(points);
  }

  stop() {
    this.map.off(this.handlers);
    document.removeEventListener("keydown", this.key);
    this.map.removeLayer(this.line);
    if (this.map.hasLayer(this.cursor)) this.map.removeLayer(this.cursor);
    this.map.getContainer().style.cursor = "";
    // Re-enabled after the double click's own zoom would have fired.
    setTimeout(() => this.map.doubleClickZoom.enable(), 400);
  }
}

// GeoJSON of a finished drawing.
function lineGeometry(points) { return { type: "LineString", coordinates: points.map(p => p.point) }; }
function polygonGeometry(points) {
  const ring = points.map(p => p.point);
  return { type: "Polygon", coordinates: [ring.concat([ring[0]])] };
}
