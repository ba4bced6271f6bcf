"""The 统计 tab of the dispatcher's page (issue #40, 绩在网中评), in a real browser.

Usage: python3 tools/clients/test_stats_page.py PATH/TO/gridmap [SCREENSHOT_DIR]
Imports a history of cases into a store of its own (`gridmap cases import`) in six grids (a
different number in each, some closed in time through 立案, 派遣, 处置 and 核查), serves it and opens the
page in headless Chromium (DevTools protocol) on the 统计 tab. Checked against GET /api/stats,
computed here independently: the quantile class breaks of the legend, and the colour Leaflet
draws for three grids with different counts and for a grid with no case; the ranking table in
the order of the answer's ranks (按期结案率, small samples left out); a real click on a ranking
row selects its grid (outlined on the map, its card with its figures and rank, and a monthly
SVG chart whose months add up to its reports); a real click on the map selects the grid under
it; the stamped attribution and the streets' level are what the API says for them.
Prints 'N passed, N failed'; screenshots only into SCREENSHOT_DIR.
"""
import csv, datetime, json, os, subprocess, sys, tempfile, urllib.error, urllib.request

from browser import Browser
from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
shots = sys.argv[2] if len(sys.argv) > 2 else None
if shots:
    os.makedirs(shots, exist_ok=True)
check = Checks()
work = tempfile.mkdtemp(prefix="gridmap-stats-page-")
store = os.path.join(work, "stats.gridmap")
port, http, devtools = free_port(), free_port(), free_port()
base = f"http://127.0.0.1:{http}"
run(binary, "store", "import", "data/yufeng", "--store", store, "--author", "test")
PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
NONE = "#ffffff"


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def quantile_breaks(values):
    """Five classes by quantile, as docs/STATISTICS.md states the page's rule: the break below
    class k (1…4) is the sorted values' element floor(k·n/5), kept when above the least value
    and not already a break."""
    s, out = sorted(values), []
    for k in range(1, 5):
        b = s[k * len(s) // 5] if s else None
        if b is not None and b > s[0] and b not in out:
            out.append(b)
    return out


# Six grids with addresses enough: 2, 4, 6, 8, 10 and 12 cases reported ten days ago (so that
# their due times have passed), imported as history (`gridmap cases import`); grid n has n of
# them closed in time (rates 0, 1/4, 2/6, 3/8, 4/10, 5/12), the others left open and overdue.
by_grid = {}
with open("data/yufeng/addresses.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        by_grid.setdefault(row["grid_id"], []).append((row["lon"], row["lat"]))
grids = sorted(g for g, points in by_grid.items() if len(points) >= 12)[:6]
china = datetime.timezone(datetime.timedelta(hours=8))
start = (datetime.datetime.now(china) - datetime.timedelta(days=10)).replace(microsecond=0)
history = [["key", "at", "action", "lon", "lat", "category", "description", "note"]]
for n, grid in enumerate(grids):
    for k in range(2 * (n + 1)):
        key, at = f"g{n}-{k}", start + datetime.timedelta(minutes=10 * k)
        lon, lat = by_grid[grid][k]
        history.append([key, at.isoformat(), "report", lon, lat, "0101", f"网格{grid[-3:]}第{k + 1}件", ""])
        if k < n:
            for h, action in enumerate(("accept", "dispatch", "handle", "pass")):
                history.append([key, (at + datetime.timedelta(hours=h + 1)).isoformat(), action, "", "", "", "",
                                "已办结" if action == "handle" else ""])
with open(os.path.join(work, "history.csv"), "w", encoding="utf-8", newline="") as f:
    csv.writer(f).writerows(history)
imported = json.loads(run(binary, "cases", "import", os.path.join(work, "history.csv"), "--store", store).stdout)
check("the history is imported", imported["cases"] == 42 and imported["events"] == 4 * 15
      and imported["refused_count"] == 0, imported)
server = subprocess.Popen([binary, "serve", "--port", str(port), "--http-port", str(http), "--store", store],
                          stderr=subprocess.DEVNULL)
browser = None
try:
    wait_port(port)
    wait_port(http)
    browser = Browser(devtools, work)
    page = browser.first_page()
    page.navigate(base + "/")
    page.wait("window.gridmap && window.gridmap.ready && window.gridmap.stats && window.gridmap.stats.started")
    gs = "window.gridmap.stats"
    today = datetime.datetime.now(china).strftime("%Y-%m-%d")
    page.click_element("#tab-stats")
    page.wait(f"!document.getElementById('stats').hidden && {gs}.ready && {gs}.refreshes >= 1")

    def choose(element, value):
        before = page.eval(f"{gs}.refreshes")
        page.eval(f"(() => {{ const s = document.getElementById({json.dumps(element)}); s.value = {json.dumps(value)};"
                  " s.dispatchEvent(new Event('change')); return true; })()")
        page.wait(f"{gs}.ready && {gs}.refreshes > {before}")

    choose("stats-measure", "reported")
    query = page.eval(f"{gs}.answer")
    status, answer = call("GET", "/api/stats?" + "&".join(f"{k}={urllib.request.quote(str(v))}"
                                                          for k, v in query.items()))
    check("the page asks /api/stats for grids over the year to today", status == 200 and query["by"] == "grid"
          and query["to"] > today > query["from"], (status, query))
    rows = {r["id"]: r for r in answer["rows"]}
    check("the API counts every grid's reports", {g: rows[g]["reported"] for g in grids}
          == {g: 2 * (n + 1) for n, g in enumerate(grids)}, {g: rows.get(g) for g in grids})
    breaks = quantile_breaks([r["reported"] for r in answer["rows"]])
    check("the legend's class breaks are the quantiles of the API's values", page.eval(f"{gs}.breaks") == breaks,
          (page.eval(f"{gs}.breaks"), breaks))
    legend = page.eval("document.getElementById('stats-legend').innerText")
    check("the legend names the measure and its classes", "上报数" in legend and all(str(b) in legend for b in breaks),
          legend)

    def drawn(layer, fid):
        return page.eval(f"(() => {{ let s = null; state.layers.{layer}.eachLayer(f => {{ if (f.feature.properties.id"
                         f" === {json.dumps(fid)}) s = {{fill: f.options.fillColor, color: f.options.color,"
                         " weight: f.options.weight}; }); return s; })()")

    def klass(v):
        return sum(1 for b in breaks if v >= b)
    three = [grids[0], grids[2], grids[5]]
    colours = {g: drawn("grids", g)["fill"] for g in three}
    check("three grids drawn in the colours of their classes (2, 6 and 12 reports)",
          colours == {g: PALETTE[klass(rows[g]["reported"])] for g in three}
          and len(set(colours.values())) == 3, (colours, breaks))
    empty = next(g for g in sorted(by_grid) if g not in rows)
    check("a grid with no case is drawn as such", drawn("grids", empty)["fill"] == NONE, drawn("grids", empty))
    if shots:
        page.screenshot(os.path.join(shots, "stats-choropleth.png"))

    # The ranking: 按期结案率 (then 结案率), small samples left out, in the API's order.
    choose("stats-measure", "on_time_rate")
    query = page.eval(f"{gs}.answer")
    answer = call("GET", "/api/stats?" + "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in query.items()))[1]
    ranked = sorted((r for r in answer["rows"] if r["rank"] is not None), key=lambda r: (r["rank"], r["name"]))
    shown = page.eval("[...document.querySelectorAll('#stats-ranking tbody tr')].map(tr => tr.dataset.id)")
    check("the ranking table is the API's ranks", shown == [r["id"] for r in ranked] and len(shown) >= 3,
          (shown, [(r["id"], r["rank"]) for r in ranked]))
    check("grids under the minimum count are not ranked", grids[0] not in shown and grids[1] not in shown, shown)
    pick = ranked[1]["id"]
    page.click_element(f"#stats-ranking tbody tr[data-id='{pick}']")
    page.wait(f"{gs}.selected === {json.dumps(pick)} && {gs}.card && {gs}.card.months")
    outline = drawn("grids", pick)
    card = page.eval("document.getElementById('stats-card').innerText")
    row = next(r for r in answer["rows"] if r["id"] == pick)
    check("a click on a ranking row selects its grid, outlined on the map",
          outline["color"] == "#d00000" and outline["weight"] == 3, outline)
    rate = row["on_time_rate"]
    check("its card shows its name, rank and figures as the API has them",
          row["name"] in card and f"{row['rank']} / {len(ranked)}" in card
          and f"{rate['numerator']}/{rate['denominator']}" in card, card[:400])
    months = page.eval(f"{gs}.card.months")
    check("the monthly chart: twelve months that add up to its reports, drawn as SVG bars",
          len(months) == 12 and sum(m["reported"] for m in months) == row["reported"]
          and page.eval("document.querySelectorAll('#stats-card svg rect').length") == 24, months)
    if shots:
        page.screenshot(os.path.join(shots, "stats-card.png"))

    # A real click on the map selects the grid under it.
    lon, lat = by_grid[grids[4]][0]
    page.eval(f"map.setView([{lat}, {lon}], 17, {{animate: false}}); true")
    spot = json.loads(page.eval(f"JSON.stringify(map.latLngToContainerPoint([{lat}, {lon}]))"))
    rect = json.loads(page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())"))
    page.click(rect["x"] + spot["x"], rect["y"] + spot["y"])
    check("a click on the map selects the grid there",
          page.wait(f"{gs}.selected === {json.dumps(grids[4])} && {gs}.card && {gs}.card.id === {json.dumps(grids[4])}"),
          page.eval(f"{gs}.selected"))

    # The other attribution and another level: what the API answers for them.
    choose("stats-attribution", "stamped")
    check("the stamped attribution is asked and said", page.eval(f"{gs}.attribution") == "stamped"
          and "按上报时" in page.eval("document.getElementById('stats-message').innerText"))
    choose("stats-measure", "reported")
    choose("stats-by", "street")
    query = page.eval(f"{gs}.answer")
    answer = call("GET", "/api/stats?" + "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in query.items()))[1]
    breaks = quantile_breaks([r["reported"] for r in answer["rows"]])
    street_colours = {r["id"]: drawn("streets", r["id"])["fill"] for r in answer["rows"]}
    check("the streets are drawn by their reports under the stamped attribution",
          query["by"] == "street" and query["attribution"] == "stamped" and street_colours
          and street_colours == {r["id"]: PALETTE[klass(r["reported"])] for r in answer["rows"]},
          (street_colours, breaks))
    page.click_element("#tab-lookup")
    check("leaving the tab gives the grids their own style back",
          drawn("grids", grids[0])["fill"] == page.eval("styles.grids.fillColor"), drawn("grids", grids[0]))
finally:
    if browser:
        browser.close()
    stop(server)

check.finish("the statistics page")
