"""The planner's page in a real browser: a whole redrawing session with real mouse events.

Usage: python3 tools/clients/test_plan_page.py PATH/TO/gridmap [SCREENSHOT_DIR]
Starts `gridmap serve` on a store of its own and headless Chromium (DevTools protocol), and on
/plan: opens a draft by typing its name; draws a split line across a grid (clicks, a double
click to finish); draws a grid's boundary with its neighbour anew between two points of the old
one (the ends snapped to it); merges two grids by clicking them; undoes the merge and merges
again; sees a refused merge explained beside the map with the draft unchanged; fixes the
validation finding the split left (a piece without a grid worker: publishing refused until
then; the finding clicked, the piece clicked, a worker assigned in its card); publishes.
Meanwhile a second planner, in a browser context of their own, edits a grid of a
neighbouring community in a second draft and a grid the first planner changes in a third:
after the first publish the second is rebased and published, the third refused with the
grid named on the page. Then checks that LOCATE over RESP answers from the new version inside a piece of the split, that the history view shows the
change between the two versions, and that the date control shows the map as it was before.
The store is imported from a deep absolute path whose last part is long and has no place to break
a line: the history table must still fit its panel, and show the import's message with the path
cut to its last parts, never the absolute path.
Screenshots of each step go to SCREENSHOT_DIR (default docs/screenshots). Prints 'N passed,
N failed'.
"""
import calendar, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request

import redis

from browser import Browser, get_json
from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
shots = sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"
os.makedirs(shots, exist_ok=True)
check = Checks()
port, http, devtools = free_port(), free_port(), free_port()
profile = tempfile.mkdtemp(prefix="gridmap-plan-page-")
store = os.path.join(profile, "plan.gridmap")
# Imported from a long absolute path of its own: version 1's message names it ("imported from /tmp/…").
# Its last part has nowhere to break a line: shown, it must wrap or be cut, not widen the panel.
exported = "yufeng_as_exported_by_the_district_office_20240501"
source = os.path.join(profile, "home", "planner", "gridmap", "data", exported)
shutil.copytree("data/yufeng", source)
run(binary, "store", "import", source, "--store", store, "--author", "test")
server = subprocess.Popen([binary, "serve", "--port", str(port), "--http-port", str(http), "--store", store],
                          stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{http}"


# Geometry of the committed grids, to choose where to click (the page is only ever clicked).
def ring(feature):
    g = feature["geometry"]
    return g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]


def inside(feature, p):
    g = feature["geometry"]
    polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    for polygon in polygons:
        n = 0
        for r in polygon:
            for i in range(len(r) - 1):
                (x0, y0), (x1, y1) = r[i], r[i + 1]
                if (y0 > p[1]) != (y1 > p[1]) and p[0] < (x1 - x0) * (p[1] - y0) / (y1 - y0) + x0:
                    n += 1
        if n % 2:
            return True
    return False


def interior(feature):
    """A point well inside a grid: of a 24×24 lattice over its box, the inside point farthest
    from its vertices."""
    xs, ys = zip(*ring(feature))
    best, far = None, -1
    for i in range(1, 24):
        for j in range(1, 24):
            p = (min(xs) + (max(xs) - min(xs)) * i / 24, min(ys) + (max(ys) - min(ys)) * j / 24)
            if inside(feature, p):
                d = min((p[0] - x) ** 2 + (p[1] - y) ** 2 for x, y in ring(feature))
                if d > far:
                    best, far = p, d
    return best


def shared_run(a, b):
    """The longest run of consecutive vertices of a's ring that are vertices of b's too."""
    ra, vb = ring(a), {tuple(c) for c in ring(b)}
    best, cur = [], []
    for c in ra[:-1] + ra[:-1]:  # twice round: a run may wrap past the ring's start
        cur = cur + [c] if tuple(c) in vb else []
        if len(cur) > len(best) and len(cur) < len(ra):
            best = cur
    return best


class Planner:
    """One planner's tab on /plan."""

    def __init__(self, page, name):
        self.page, self.name = page, name

    def open(self, hash=""):
        self.page.navigate(base + "/plan" + hash)
        return self.ready()

    def ready(self, seconds=120):
        """Ready, and every panel of its latest drawing filled in. A drawing shows "…" in each
        panel until that panel's reading is in, and one begun by a click on the map does not
        clear `ready`: without this, an earlier drawing ending late could pass for the latest."""
        return self.page.wait("window.planner && window.planner.ready && ![...document.querySelectorAll("
                              "'#panels > section')].some(s => s.lastChild && s.lastChild.nodeType === 3 "
                              "&& s.lastChild.data === '…')", seconds=seconds)

    def settle(self, edits_before=None, seconds=120):
        """Waits until the page has made an edit (or reported an error) and drawn everything again."""
        if edits_before is not None:
            self.page.wait(f"window.planner.edits > {edits_before} || window.planner.lastError", seconds)
        time.sleep(0.3)
        return self.ready(seconds)

    def view(self, lon, lat, zoom):
        self.page.eval(f"map.setView([{lat!r}, {lon!r}], {zoom}, {{animate: false}}); true")
        time.sleep(0.3)

    def fit(self, points):
        """The view that holds `points`, as close as it can (up to zoom 19)."""
        bounds = json.dumps([[p[1], p[0]] for p in points])
        self.page.eval(f"map.fitBounds({bounds}, {{padding: [60, 60], maxZoom: 19, animate: false}}); true")
        time.sleep(0.3)

    def click_map(self, lon, lat, count=1):
        p = json.loads(self.page.eval(f"JSON.stringify(map.latLngToContainerPoint([{lat!r}, {lon!r}]))"))
        r = json.loads(self.page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())"))
        self.page.click(r["x"] + p["x"], r["y"] + p["y"], count=count)
        time.sleep(0.15)

    def draw(self, points):
        """Clicks each point, the last one twice (a double click ends the drawing)."""
        for p in points[:-1]:
            self.click_map(*p)
        self.click_map(*points[-1], count=2)

    def open_draft(self, name, author=None):
        """A draft opened by typing its name (and the author's) and 新建草稿; returns its number."""
        self.page.type_into("#draft-name", name)
        if author:
            self.page.type_into("#author", author)
        self.button("#open-draft")
        self.page.wait("location.hash.startsWith('#draft=') && state.draft")
        self.ready()
        return int(self.state("state.draft"))

    def select(self, gid, feature, then="true"):
        """Grid `gid` clicked well inside `feature` at zoom 17; waits for its card and for `then`."""
        x, y = interior(feature)
        self.view(x, y, 17)
        self.click_map(x, y)
        # `then` may name an element: as a value it would come back empty (falsy), hence the `!!`.
        self.page.wait(f"window.planner.selected && window.planner.selected[0] === '{gid}' && !!({then})")
        self.ready()

    def merge(self, *points):
        """The merge tool, the grids at `points` clicked, 确认合并, and the page redrawn."""
        self.button("#tool-merge")
        for p in points:
            self.click_map(*p)
        self.page.wait(f"window.planner.selected.length === {len(points)}")
        self.ready()
        edits = self.state("window.planner.edits")
        self.button("#merge-now")
        self.settle(edits)

    def button(self, selector):
        self.page.click_element(selector)
        time.sleep(0.2)

    def state(self, expression):
        return self.page.eval(expression)

    def shot(self, name):
        self.page.screenshot(os.path.join(shots, name))


def api(path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


browser = Browser(devtools, profile)
try:
    wait_port(port)
    wait_port(http)
    grids = {f["properties"]["id"]: f for f in get_json(base + "/api/layers/grids")["features"]}
    workers = [f["properties"] for f in get_json(base + "/api/layers/resources?kind=grid_worker")["features"]]
    vertices = {gid: {tuple(c) for c in ring(f)} for gid, f in grids.items()}

    def adjacent(a, b):
        """Whether two grids share an edge (two consecutive vertices), not just a corner."""
        return len(vertices[a] & vertices[b]) >= 2 and len(shared_run(grids[a], grids[b])) >= 2

    def near(ids):
        return {g for g in grids if any(g == i or adjacent(g, i) for i in ids)}

    # The grids of the session: G split (as the CLI example splits it), A's boundary with B moved,
    # C and D merged, all apart; E (the second planner's) in a community that borders G's.
    by_grid = {}
    for w in workers:
        by_grid.setdefault(w.get("grid_id"), []).append(w["id"])
    # G has one grid worker: of its pieces one gets the worker, and validation finds the other.
    G = next(g for g in sorted(grids) if len(by_grid.get(g, [])) == 1 and grids[g]["geometry"]["type"] == "Polygon"
             and g.endswith("03"))
    xs = [c[0] for c in ring(grids[G])]
    _, middle = interior(grids[G])
    split_line = [(min(xs) - 0.0004, middle), (max(xs) + 0.0004, middle)]
    A = B = None
    for a in sorted(grids):
        if a in near([G]) or A:
            continue
        for b in sorted(grids):
            if b > a and b not in near([G]) and grids[a]["properties"]["community_id"] == \
                    grids[b]["properties"]["community_id"] and len(shared_run(grids[a], grids[b])) >= 7:
                A, B = a, b
                break
    C = D = None
    for c in sorted(grids):
        if C or c in near([G, A, B]):
            continue
        for d in sorted(grids):
            if d > c and d not in near([G, A, B]) and adjacent(c, d) and \
                    grids[c]["properties"]["community_id"] == grids[d]["properties"]["community_id"]:
                C, D = c, d
                break
    touched = near([G, A, B, C, D])
    community = grids[G]["properties"]["community_id"]
    bordering = {grids[n]["properties"]["community_id"] for g in grids
                 if grids[g]["properties"]["community_id"] == community for n in grids if adjacent(g, n)} - {community}
    E = next(g for g in sorted(grids) if grids[g]["properties"]["community_id"] in bordering and g not in touched
             and not near([g]) & touched)
    spare = next(ids[-1] for g, ids in sorted(by_grid.items()) if g and len(ids) >= 2 and g not in touched | {E})
    print(f"split {G}; boundary {A}|{B}; merge {C}+{D}; second planner {E}; worker {spare}")

    one = Planner(browser.first_page(), "张规划")
    check("the planner's page loads", one.open())
    one.page.eval("map.fitBounds(state.layers.base.getBounds()); true")

    # The second planner opens two drafts now, on the version the first planner's draft starts from.
    two = Planner(browser.new_page(), "李规划")
    check("a second planner's page loads in a browser context of its own", two.open())
    for name in ["东风社区户数更新", "改网格名称"]:
        two.open_draft(name, two.name)
        two.page.eval("location.hash = ''; true")
        two.page.wait("location.hash === ''")
        two.ready()
    drafts2 = [d["draft"] for d in api("/api/plan/drafts")["drafts"]]
    check("the second planner has two drafts open, under the author typed",
          len(drafts2) == 2 and all(d["author"] == "李规划" for d in api("/api/plan/drafts")["drafts"]), drafts2)

    # 1. A draft opened by typing its name.
    draft = one.open_draft("北安社区网格调整", one.name)
    check("opening a draft from the page", one.state("window.planner.ready") and draft > 0)

    # 2. The split: the grid clicked, the tool chosen, a line drawn across it.
    one.select(G, grids[G])
    one.button("#tool-split")
    edits = one.state("window.planner.edits")
    one.draw(split_line)
    one.settle(edits)
    drawn = api(f"/api/plan/drafts/{draft}/grids")
    pieces = [f["properties"]["id"] for f in drawn["grids"]["features"] if f["properties"]["id"].startswith(G[:12])
              and f["properties"]["id"] not in grids]
    check("a split line drawn on the map splits the grid in the draft",
          G in drawn.get("removed", []) and len(pieces) >= 2, f"{drawn.get('removed')} {pieces} "
          f"{one.state('JSON.stringify(window.planner.lastError)')}")
    check("the map shows the changed grids", one.state("window.planner.changes") >= 3)
    one.shot("plan-1-split.png")

    # 3. A's boundary with B drawn anew: from a point of the old boundary, 12 m into B, to another.
    stretch = shared_run(grids[A], grids[B])
    start, end, mid = stretch[0], stretch[-1], stretch[len(stretch) // 2]
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = (dx * dx + dy * dy) ** 0.5
    bulge = None
    for sign in (1, -1):
        p = (mid[0] - sign * dy / length * 0.00012, mid[1] + sign * dx / length * 0.00012)
        if inside(grids[B], p):
            bulge = p
    one.select(A, grids[A])
    one.fit([start, end, bulge])
    one.button("#tool-move_boundary")
    before = api(f"/api/plan/drafts/{draft}")["operations"]
    edits = one.state("window.planner.edits")
    one.draw([tuple(start), bulge, tuple(end)])
    # The bulge is a vertex of the new boundary; halfway to it from the old one lies what A gained.
    gained = ((mid[0] + bulge[0]) / 2, (mid[1] + bulge[1]) / 2)
    one.settle(edits)
    drawn = {f["properties"]["id"]: f for f in api(f"/api/plan/drafts/{draft}/grids")["grids"]["features"]}
    check("a boundary drawn between two points of the old one moves it (both grids redrawn)",
          A in drawn and B in drawn and api(f"/api/plan/drafts/{draft}")["operations"] == before + 1
          and inside(drawn[A], gained) and not inside(drawn[B], gained),
          f"{sorted(drawn)} {one.state('JSON.stringify(window.planner.lastError)')}")
    one.shot("plan-2-boundary.png")

    # 4. C and D merged by clicking them; undone; merged again.
    cx, cy = interior(grids[C])
    dxy = interior(grids[D])
    one.view((cx + dxy[0]) / 2, (cy + dxy[1]) / 2, 16)
    one.merge((cx, cy), dxy)
    removed = api(f"/api/plan/drafts/{draft}/grids")["removed"]
    check("two grids clicked and merged", max(C, D) in removed, f"{removed} "
          f"{one.state('JSON.stringify(window.planner.lastError)')}")
    ops = api(f"/api/plan/drafts/{draft}")["operations"]
    edits = one.state("window.planner.edits")
    one.button("#undo")
    one.settle(edits)
    check("undo removes the merge, and only it", max(C, D) not in api(f"/api/plan/drafts/{draft}/grids")["removed"]
          and api(f"/api/plan/drafts/{draft}")["operations"] == ops - 1 and G in
          api(f"/api/plan/drafts/{draft}/grids")["removed"])
    one.merge((cx, cy), dxy)
    check("merged again", max(C, D) in api(f"/api/plan/drafts/{draft}/grids")["removed"])
    one.shot("plan-3-merge.png")

    # 5. A refused merge (C with a grid far away): explained beside the map, the draft unchanged.
    ops = api(f"/api/plan/drafts/{draft}")["operations"]
    far = next(g for g in sorted(grids) if g not in touched and not adjacent(g, C) and not adjacent(g, D))
    fx, fy = interior(grids[far])
    one.view((cx + fx) / 2, (cy + fy) / 2, 15)
    one.button("#tool-merge")
    one.click_map(cx, cy)  # inside the merged grid now
    one.click_map(fx, fy)
    one.page.wait("window.planner.selected.length === 2")
    one.ready()
    one.button("#merge-now")
    one.page.wait("window.planner.lastError")
    message = one.state("document.getElementById('message').innerText") or ""
    check("a refused operation is shown beside the map in the planner's words, the draft unchanged",
          one.state("window.planner.lastError && window.planner.lastError.code") and "网格" in message
          and api(f"/api/plan/drafts/{draft}")["operations"] == ops, message)
    one.shot("plan-4-refused.png")
    if one.state("!!document.getElementById('tool-cancel')"):
        one.button("#tool-cancel")

    # 6. The finding the split left: a piece without a grid worker. Clicked in the list, the
    # piece clicked on the map, a worker assigned in its card.
    one.ready()
    report = api(f"/api/plan/drafts/{draft}/validate")
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    check("validation finds the piece without a worker", [f["rule"] for f in errors] == ["no_grid_worker"],
          [f["rule"] for f in errors])
    empty = errors[0]["grids"][0] if errors else pieces[0]
    # Publishing now is refused with the findings, the grid named beside the map.
    one.page.eval("window.planner.lastError = null; true")
    one.button("#publish")
    one.page.wait("window.planner.lastError")
    named = one.state("(document.getElementById('conflicts') || {}).innerText") or ""
    check("publishing while errors remain is refused with the finding's grid named",
          one.state("window.planner.lastError.code") == "invalid" and empty in named
          and api("/api/versions")["versions"][0]["version"] == 1, named)
    one.page.click_element("#findings li.error")
    one.page.wait("window.planner.focused")
    piece = next(f for f in api(f"/api/plan/drafts/{draft}/grids")["grids"]["features"]
                 if f["properties"]["id"] == empty)
    one.select(empty, piece, "document.getElementById('assign-worker')")
    one.page.eval(f"document.getElementById('assign-worker').value = '{spare}'; true")
    edits = one.state("window.planner.edits")
    one.button("#assign")
    one.settle(edits)
    check("the finding is fixed from the grid's card", one.state("window.planner.errors") == 0,
          one.state("window.planner.errors"))
    one.shot("plan-5-fixed.png")

    # The second planner edits a grid of a neighbouring community (draft 1 of theirs) and the
    # grid A the first planner changes (draft 2), in cards, by typing.
    for d, grid, field, value in [(drafts2[0], E, "households", "321"), (drafts2[1], A, "name", "改名网格")]:
        two.page.eval(f"location.hash = 'draft={d}'; true")
        two.page.wait(f"state.draft === '{d}'")
        two.ready()
        two.select(grid, grids[grid], f"document.getElementById('f-{field}')")
        two.page.type_into(f"#f-{field}", value)
        edits = two.state("window.planner.edits")
        two.button("#save-fields")
        two.settle(edits)
    check("the second planner's edits are in their drafts",
          [api(f"/api/plan/drafts/{d}")["operations"] for d in drafts2] == [1, 1])

    # 7. Publish.
    one.page.type_into("#publish-message", "北安社区网格调整：分割、调边界、合并")
    one.button("#publish")
    version = one.page.wait("window.planner.published")
    check("publishing from the page makes a version, recorded under the planner's name",
          version == 2 and api("/api/version/2")["author"] == "张规划", version)
    one.ready()
    resp = redis.Redis(port=port, decode_responses=True, socket_timeout=60)
    piece_feature = next(f for f in get_json(base + "/api/layers/grids")["features"]
                         if f["properties"]["id"] == pieces[0])
    lx, ly = interior(piece_feature)
    answer = json.loads(resp.execute_command("LOCATE", repr(lx), repr(ly)))
    check("LOCATE over RESP answers from the new version, in the piece", answer["data_version"] == "2"
          and answer["grid"]["id"] == pieces[0], answer.get("grid", {}).get("id"))

    # The second planner publishes both drafts: the first is rebased, the second refused with A named.
    for k, d in enumerate(drafts2):
        two.page.eval(f"location.hash = 'draft={d}'; true")
        two.page.wait(f"state.draft === '{d}'")
        two.ready()
        two.button("#publish")
        if k == 0:
            v = two.page.wait("window.planner.published")
            check("the second planner's draft is rebased onto the new version and published", v == 3, v)
            two.ready()
        else:
            two.page.wait("window.planner.lastError")
            shown = two.state("(document.getElementById('conflicts') || {}).innerText") or ""
            check("a draft touching a grid the first planner changed is refused, the grid named on the page",
                  two.state("window.planner.lastError.code") == "conflict" and A in shown, shown)
            two.shot("plan-7-conflict.png")

    # 8. The history view: versions 1 → 2 compared, the changed grids before and after.
    one.page.eval("location.hash = ''; true")
    one.ready()
    one.page.eval("document.getElementById('from').value = '1'; document.getElementById('to').value = '2'; true")
    one.button("#compare")
    compared = one.page.wait("window.planner.compare && window.planner.compare.to === 2 && window.planner.compare")
    check("the history view shows the grids changed between two versions, before and after",
          compared and G in compared["ids"] and all(p in compared["ids"] for p in pieces)
          and compared["features"] >= len(pieces) + 1, compared)
    one.shot("plan-6-history.png")
    # The table under the heading 版本历史, however the page names it.
    history_table = ("([...document.querySelectorAll('#panels section')]"
                     ".find(s => s.firstChild.textContent === '版本历史') || document).querySelector('table')")
    fit = one.state(f"""(() => {{
      const panel = document.getElementById('panel'), table = {history_table};
      if (!table) return null;
      const p = panel.getBoundingClientRect(), t = table.getBoundingClientRect();
      const cells = [...table.querySelectorAll('th, td')].filter(c => c.scrollWidth > c.clientWidth + 1);
      return {{ table: [t.left, t.right], panel: [p.left, p.left + panel.clientLeft + panel.clientWidth],
        panelScrolls: panel.scrollWidth > panel.clientWidth, cellsOverflowing: cells.map(c => c.textContent) }};
    }})()""")
    check("the history table fits its panel: nothing wider than it, no cell overflowing",
          fit and fit["table"][0] >= fit["panel"][0] and fit["table"][1] <= fit["panel"][1]
          and not fit["panelScrolls"] and not fit["cellsOverflowing"], fit)
    # Version 1's message, as the table, its title and the version pickers show it.
    history = one.state(f"""(() => {{
      const t = {history_table};
      return {{ cells: [...t.querySelectorAll('td')].map(c => c.textContent),
        titles: [...t.querySelectorAll('[title]')].map(e => e.title),
        options: [...document.querySelectorAll('#from option, #to option')].map(o => o.textContent),
        text: document.getElementById('panels').innerText }};
    }})()""")
    seen = history["cells"] + history["titles"] + history["options"] + [history["text"]]
    absolute = [t for t in seen if profile in t or re.search(r"(^|\s)/[\w.-]+/", t)]
    check("no absolute path in the history (cells, titles, version pickers)", not absolute, absolute[:3])
    check("the import's message names its directory by its last parts",
          f"imported from data/{exported}" in history["cells"]
          and f"imported from data/{exported}" in history["titles"]
          and "北安社区网格调整：分割、调边界、合并" in history["cells"], history["cells"])
    published = api("/api/version/2")["published_at"]
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
        calendar.timegm(time.strptime(published[:19], "%Y-%m-%dT%H:%M:%S")) - 1))
    one.page.eval(f"document.getElementById('asof').value = '{moment}'; true")
    one.button("#show-asof")
    shown = one.page.wait("window.planner.asOf")
    check("the date control shows the map as it was before the publish", shown and str(shown["version"]) == "1"
          and shown["grids"] == len(grids), f"{moment} {shown}")
    one.button("#asof-clear")
    one.button("#compare-clear")

    # 9. A third draft: an area drawn and handed to a grid (T takes a strip of S along the
    # middle of their longest shared edge), a grid moved to a bordering community from its
    # card, a worker removed in a card; then the draft discarded from the page.
    spare_grids = [g for g in sorted(grids) if g not in touched | {E} and not near([g]) & (touched | {E})]
    T = S = None
    for t in spare_grids:
        for s_ in sorted(grids):
            if s_ in spare_grids and s_ != t and adjacent(t, s_):
                run_ = shared_run(grids[t], grids[s_])
                seg = max(zip(run_, run_[1:]), default=None,
                          key=lambda ab: (ab[1][0] - ab[0][0]) ** 2 + (ab[1][1] - ab[0][1]) ** 2)
                if seg and ((seg[1][0] - seg[0][0]) ** 2 + (seg[1][1] - seg[0][1]) ** 2) ** 0.5 > 0.0006:
                    T, S = t, s_
                    break
        if T:
            break
    (x0, y0), (x1, y1) = seg
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    ux, uy, nx, ny = (x1 - x0) / length, (y1 - y0) / length, -(y1 - y0) / length, (x1 - x0) / length
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    half, depth = length / 4, 0.0001  # along the edge, and about 10 m to each side of it
    strip = [(mx + a * half * ux + b * depth * nx, my + a * half * uy + b * depth * ny)
             for a, b in [(-1, -1), (1, -1), (1, 1), (-1, 1)]]
    into_s = next(p for p in [(mx + 0.5 * depth * nx, my + 0.5 * depth * ny),
                              (mx - 0.5 * depth * nx, my - 0.5 * depth * ny)] if inside(grids[S], p))
    third = one.open_draft("划转与调整社区")
    one.select(T, grids[T])
    one.fit(strip)
    one.button("#tool-transfer")
    edits = one.state("window.planner.edits")
    one.draw(strip)
    one.settle(edits)
    drawn = {f["properties"]["id"]: f for f in api(f"/api/plan/drafts/{third}/grids")["grids"]["features"]}
    check("an area drawn on the map is handed to the selected grid (transfer)",
          T in drawn and S in drawn and inside(drawn[T], into_s) and not inside(drawn[S], into_s),
          f"{sorted(drawn)} {one.state('JSON.stringify(window.planner.lastError)')}")
    one.shot("plan-8-transfer.png")

    M = next(g for g in spare_grids if g not in (T, S) and not adjacent(g, T) and not adjacent(g, S)
             and any(grids[n]["properties"]["community_id"] != grids[g]["properties"]["community_id"]
                     for n in grids if adjacent(g, n)))
    one.select(M, grids[M], "document.getElementById('move-community')")
    target = one.state("document.querySelector('#move-community option[value]:not([value=\"\"])').value")
    one.page.eval(f"document.getElementById('move-community').value = '{target}'; true")
    edits = one.state("window.planner.edits")
    one.button("#move")
    one.settle(edits)
    moved = [f["properties"] for f in api(f"/api/plan/drafts/{third}/grids")["grids"]["features"]
             if f["properties"]["community_id"] == target and f["properties"]["id"].startswith(target)]
    check("a grid moved to a bordering community chosen from its card (a new code there)",
          M in api(f"/api/plan/drafts/{third}/grids")["removed"] and moved, f"{target} {moved}")

    one.select(T, grids[T], "document.querySelector('[data-resource]')")
    worker = one.state("document.querySelector('[data-resource]').dataset.resource")
    edits = one.state("window.planner.edits")
    one.page.click_element(f"[data-resource='{worker}']")
    one.settle(edits)
    staff = [r["id"] for r in api(f"/api/plan/drafts/{third}/grids/{T}")["staff"]]
    check("a worker removed from a grid in its card", worker not in staff, staff)
    one.button("#discard")
    one.page.wait("(document.getElementById('discard') || {innerText: ''}).innerText.includes('确认')")
    one.button("#discard")  # the second click confirms
    one.page.wait("location.hash === '' || location.hash === '#'")
    status = next((d["status"] for d in api("/api/plan/drafts?all=1")["drafts"] if d["draft"] == third), None)
    check("a draft discarded from the page (after a confirming second click)", status == "discarded", status)
finally:
    stop(server)
    browser.close()
    shutil.rmtree(profile, ignore_errors=True)
check.finish("planner's page in Chromium")
