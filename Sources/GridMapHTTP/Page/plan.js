// The planner's page: version history, the open drafts, and for the chosen draft its changes
// drawn over the base, its impact table and its validation findings (click one to go there).
// Each part is a panel below: a title, what it reads, how it draws. Adding a planning view is
// adding one entry.
"use strict";
const map = makeMap({ preferCanvas: true });
const state = { draft: null, changes: null, marker: null };
window.planner = { ready: false, changes: 0, findings: 0, impactRows: 0 };

function table(head, rows) {
  return "<table><tr>" + head.map(h => "<th>" + text(h) + "</th>").join("") + "</tr>" +
    rows.map(r => "<tr>" + r.map(c => "<td>" + c + "</td>").join("") + "</tr>").join("") + "</table>";
}
const area = m => m == null ? "" : Math.round(m).toLocaleString() + " m²";

const panels = [
  {
    title: "版本历史", read: () => api("/api/versions"),
    draw: v => table(["版本", "发布时间", "发布人", "说明", "网格"], v.versions.map(x =>
      [x.version, text(x.published_at.slice(0, 16).replace("T", " ")), text(x.author), text(x.message),
       x.changed_grids.length])),
  },
  {
    title: "草稿", read: () => api("/api/plan/drafts"),
    draw: d => d.drafts.length === 0 ? "<p class=muted>没有打开的草稿</p>" :
      table(["草稿", "名称", "作者", "基于版本", "操作"], d.drafts.map(x =>
        ["<a href='#draft=" + x.draft + "'>" + x.draft + "</a>", text(x.name), text(x.author), x.base, x.operations])),
  },
  {
    title: "影响", needsDraft: true, read: id => api("/api/plan/drafts/" + id + "/impact?changes=1"),
    draw: r => {
      drawChanges(r.changes);
      window.planner.impactRows = r.grids.length;
      const fig = f => f ? area(f.area_m2) + "<br>" + f.households + " 户 / " + f.population + " 人" : "—";
      return table(["网格", "变化", "之前", "之后"], r.grids.map(g =>
        [text(g.id.slice(-6)) + "<br>" + text(g.name), text(g.status), fig(g.before), fig(g.after)])) +
        "<p>迁移地址 " + r.addresses_moved + "，估计迁移居民 " + r.residents_moved_estimated +
        "，人员调整 " + r.staff.length + "</p>";
    },
  },
  {
    title: "校验", needsDraft: true, read: id => api("/api/plan/drafts/" + id + "/validate"),
    draw: r => {
      window.planner.findings = r.findings.length;
      if (r.findings.length === 0) return "<p>通过：没有问题</p>";
      return "<ol id=findings>" + r.findings.map((f, k) => "<li data-k=" + k + " class=" + text(f.severity) +
        "><b>" + text(f.rule) + "</b> " + text(f.message) + (f.area_m2 ? " (" + area(f.area_m2) + ")" : "") +
        "</li>").join("") + "</ol>";
    },
    after: (r, box) => box.querySelectorAll("li").forEach(li => li.addEventListener("click", () =>
      goTo(r.findings[+li.dataset.k]))),
  },
];

function drawChanges(changes) {
  if (state.changes) map.removeLayer(state.changes);
  state.changes = L.geoJSON(changes, {
    style: f => f.properties.state === "before" ? { color: "#c00", weight: 2, dashArray: "5 4", fill: false }
      : { color: "#06c", weight: 3, fillColor: "#06c", fillOpacity: 0.15 },
  }).addTo(map);
  window.planner.changes = changes.features.length;
  if (changes.features.length) map.fitBounds(state.changes.getBounds(), { maxZoom: 17 });
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

async function render() {
  const draft = (location.hash.match(/draft=(\d+)/) || [])[1] || null;
  const root = document.getElementById("panels");
  root.innerHTML = "";
  for (const p of panels) {
    if (p.needsDraft && !draft) continue;
    const box = document.createElement("section");
    box.innerHTML = "<h2>" + text(p.title) + (p.needsDraft ? " · 草稿 " + draft : "") + "</h2>…";
    root.appendChild(box);
    try {
      const data = await p.read(draft);
      box.innerHTML = "<h2>" + text(p.title) + (p.needsDraft ? " · 草稿 " + draft : "") + "</h2>" + p.draw(data);
      if (p.after) p.after(data, box);
    } catch (e) { box.innerHTML += "<p class=error>" + text(e.message) + "</p>"; }
  }
  window.planner.ready = true;
}

async function start() {
  const base = await api("/api/layers/grids");
  const layer = L.geoJSON(base, { style: { color: "#888", weight: 0.7, fill: false }, interactive: false }).addTo(map);
  map.fitBounds(layer.getBounds());
  window.addEventListener("hashchange", () => { window.planner.ready = false; render(); });
  await render();
}
start().catch(e => { document.getElementById("message").textContent = e.message; });
