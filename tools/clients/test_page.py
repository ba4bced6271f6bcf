"""The map pages in a real browser: headless Chromium driven over the DevTools protocol.

Usage: python3 tools/clients/test_page.py PATH/TO/gridmap [SCREENSHOT_DIR]
Starts `gridmap serve` (HTTP on a free port) and Chromium, loads the page, and checks that
the grid layer draws all 674 grids, that searching an address (typed into the search box)
shows its grid's card, and that clicking the map (a real mouse event) shows the card of the
grid under the click, as /api/locate gives it; that with a category picked a click shows the
route /api/route gives (unit, duty phone, chain), and a department's toggle draws its units'
areas. Both pages say they are loading (over the map, from the HTML's first paint) until their
layers are drawn, and say in Chinese with the server's message when loading fails; at each zoom
no two visible area labels overlap (the crowded ones hidden), and some are shown.
On the planner's page (/plan), for a draft
with a split and a households warning: the version history, the draft's changes drawn over
the base, its impact table, and a validation finding that zooms to its place when clicked.
Prints the first full render's time (the
page's `performance.now()` when every layer is drawn) and saves screenshots in
SCREENSHOT_DIR (default docs/screenshots). Prints 'N passed, N failed'.
"""
import csv, json, os, shutil, subprocess, sys, tempfile, time, urllib.request

from browser import Browser, get_json
from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
shots = sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"
os.makedirs(shots, exist_ok=True)
check = Checks()
port, http, devtools = free_port(), free_port(), free_port()
profile = tempfile.mkdtemp(prefix="gridmap-chromium-")
# A store of its own, with a draft for the planner's page: a split, and a grid's households
# set below the range validation warns about.
store = os.path.join(profile, "plan.gridmap")
run(binary, "store", "import", "data/yufeng", "--store", store, "--author", "test")
run(binary, "plan", "open", "--name", "北安社区网格调整", "--author", "张规划", "--store", store)
run(binary, "plan", "split", "--draft", "1", "--grid", "450203004002006", "--store", store,
    "--line", "LINESTRING(109.4195 24.30665, 109.4222 24.30655)")
run(binary, "plan", "set", "--draft", "1", "--grid", "450203004002001", "households", "5", "--store", store)
server = subprocess.Popen([binary, "serve", "--port", str(port), "--http-port", str(http), "--store", store],
                          stderr=subprocess.DEVNULL)
browser = Browser(devtools, profile)
base = f"http://127.0.0.1:{http}"
get = get_json

# Injected before a page's own scripts: its first request (the outline layer) held until the test
# calls window.__release(), or (FAIL) answered by a JSON error as the server gives one.
HOLD = """(() => {
  const real = window.fetch;
  window.__held = 0;
  window.fetch = (input, init) => {
    if (!String(input).includes('/api/layers/outline')) return real.call(window, input, init);
    window.__held++;
    if (FAIL) return Promise.resolve(new Response(JSON.stringify({ error: { code: 'unavailable', message: MESSAGE } }),
      { status: 503, headers: { 'Content-Type': 'application/json' } }));
    return new Promise(resolve => { window.__release = resolve; }).then(() => real.call(window, input, init));
  };
})();"""
REFUSAL = "存储暂时不可用（测试）"
# The loading notice: its text, whether it is shown, and whether it lies over the map.
NOTICE = """(() => {
  const n = document.getElementById('loading');
  if (!n) return null;
  const r = n.getBoundingClientRect(), m = document.getElementById('map').getBoundingClientRect();
  return { text: n.textContent, shown: getComputedStyle(n).visibility === 'visible' && r.width > 0 && r.height > 0,
    overMap: r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom };
})()"""
# The area labels shown (not hidden as crowded), by kind, and the pairs whose boxes overlap.
LABELS = """(() => {
  const all = [...document.querySelectorAll('.leaflet-marker-pane .label')];
  const shown = all.filter(e => getComputedStyle(e.firstChild).visibility === 'visible')
    .map(e => ({ kind: ['street', 'community', 'grid'].find(k => e.classList.contains(k)), text: e.textContent,
      r: e.firstChild.getBoundingClientRect() }));
  const hits = [];
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const a = shown[i].r, b = shown[j].r;
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        hits.push(shown[i].text + ' / ' + shown[j].text);
      }
    }
  }
  const kinds = {};
  for (const l of shown) kinds[l.kind] = (kinds[l.kind] || 0) + 1;
  return { total: all.length, shown: shown.length, kinds, hits: hits.slice(0, 5), overlaps: hits.length };
})()"""


def blank(page):
    """A new document next (a change of the fragment alone would not reload the page)."""
    page.navigate("about:blank")
    page.wait("location.href === 'about:blank'")


try:
    wait_port(port)
    wait_port(http)
    page = browser.first_page()

    # Loading: the notice is in the HTML itself, shown over the map while the first request is
    # held, gone once the page is ready; a refused first request leaves it saying why.
    for path, name, ready in [("/", "map", "window.gridmap.ready"), ("/plan", "plan", "window.planner.ready")]:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            html = r.read().decode()
        check(f"{path}: the loading notice is in the page's HTML (shown from the first paint)",
              'id="loading"' in html and "正在加载地图" in html)
        script = page.call("Page.addScriptToEvaluateOnNewDocument",
                           source=HOLD.replace("FAIL", "false").replace("MESSAGE", "''"))["identifier"]
        blank(page)
        page.navigate(base + path)
        held = page.wait("window.__held")
        notice = page.eval(NOTICE) or {}
        check(f"{path}: while the first data is on its way the page says it is loading, over the map",
              held and notice.get("shown") and notice.get("overMap") and "正在加载" in notice.get("text", "")
              and not page.eval(ready), notice)
        if path == "/plan":
            panels = page.eval("document.getElementById('panels').innerText") or ""
            check("/plan: the panel is not blank meanwhile", "正在" in panels, panels)
        page.screenshot(os.path.join(shots, "loading-" + name + ".png"))
        page.eval("window.__release(); true")
        check(f"{path}: the page loads once the data comes", page.wait(ready))
        check(f"{path}: the loading notice is gone once the layers are drawn",
              page.eval("document.getElementById('loading') === null"))
        page.call("Page.removeScriptToEvaluateOnNewDocument", identifier=script)

        script = page.call("Page.addScriptToEvaluateOnNewDocument",
                           source=HOLD.replace("FAIL", "true").replace("MESSAGE", json.dumps(REFUSAL)))["identifier"]
        blank(page)
        page.navigate(base + path)
        failed = page.wait("(document.getElementById('loading') || {className: ''}).className.includes('failed')")
        notice = page.eval(NOTICE) or {}
        message = page.eval("document.getElementById('message').textContent") or ""
        check(f"{path}: a refused first request is reported in Chinese with the server's message, not 'loading'",
              failed and notice.get("shown") and "加载失败" in notice.get("text", "")
              and REFUSAL in notice.get("text", "") and "正在" not in notice.get("text", "")
              and REFUSAL in message and not page.eval(ready), [notice, message])
        page.screenshot(os.path.join(shots, "failed-" + name + ".png"))
        page.call("Page.removeScriptToEvaluateOnNewDocument", identifier=script)
    blank(page)

    page.call("Page.navigate", url=base + "/")
    ready = page.wait("window.gridmap && window.gridmap.ready")
    check("the page loads its layers", ready)
    render = page.eval("window.gridmap.renderMs")
    print(f"first full render: {render:.0f} ms (navigation start to every layer drawn, headless Chromium)")
    check("all 674 grids are drawn", page.eval("window.gridmap.grids") == 674, page.eval("window.gridmap.grids"))
    check("the outline, streets and communities are drawn",
          page.eval("Object.keys(state.layers).sort().join()") == "communities,grids,outline,streets")
    page.screenshot(os.path.join(shots, "district.png"))

    # Labels: at the first view the street names, none over another (in the dense core some are
    # hidden); the same closer in, for communities, grid codes and grid names.
    labels = page.eval(LABELS)
    check("at the first view the street labels are shown, the crowded ones hidden, none over another",
          labels["overlaps"] == 0 and labels["total"] == 9 and 3 <= labels["kinds"].get("street", 0) < 9
          and labels["shown"] == labels["kinds"]["street"], labels)
    for zoom, kind, least in [(13.5, "community", 30), (15.5, "grid", 100), (17.5, "grid", 100)]:
        page.eval(f"map.setView([24.3040, 109.4380], {zoom}, {{animate: false}}); true")
        time.sleep(0.3)
        labels = page.eval(LABELS)
        check(f"at zoom {zoom} no two {kind} labels overlap, and many are shown",
              labels["overlaps"] == 0 and labels["kinds"].get(kind, 0) >= least, labels)
    page.eval("map.fitBounds(state.layers.outline.getBounds(), {animate: false}); true")

    # Search: type an address into the box and press Enter.
    with open("data/yufeng/addresses.csv", encoding="utf-8") as f:
        address = list(csv.DictReader(f))[1234]
    page.eval("document.getElementById('query').focus(); true")
    page.call("Input.insertText", text=address["address"])
    for kind in ("keyDown", "keyUp"):
        page.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                  text="\r" if kind == "keyDown" else "")
    shown = page.wait(f"window.gridmap.card && window.gridmap.card.grid && "
                      f"window.gridmap.card.grid.id === '{address['grid_id']}'")
    check("searching an address shows its grid", shown, page.eval("JSON.stringify(window.gridmap.card)"))
    card = page.eval("document.getElementById('card').innerText")
    check("the card names grid, community, street and a worker with a phone",
          address["community"] in card and address["street"] in card and "网格员" in card
          and any(ch.isdigit() for ch in card) and "执法人员" in card, card)
    page.screenshot(os.path.join(shots, "search.png"))

    # Click: a real mouse event on the map, away from the last point.
    page.eval("map.setView([24.2900, 109.4500], 16); true")
    time.sleep(0.5)
    box = page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())")
    rect = json.loads(box)
    x, y = rect["x"] + rect["width"] * 0.4, rect["y"] + rect["height"] * 0.6
    page.click(x, y)
    clicked = page.wait("state.selection && state.selection.lon !== undefined && "
                        f"window.gridmap.card && window.gridmap.card.point.lon !== {float(address['lon'])}")
    selection = page.eval("JSON.stringify(state.selection)")
    sel = json.loads(selection) if selection else {}
    truth = get(f"{base}/api/locate?lon={sel.get('lon')}&lat={sel.get('lat')}")
    card = page.eval("window.gridmap.card")
    check("clicking the map shows the grid under the click", clicked and truth.get("grid") and card
          and card["grid"]["id"] == truth["grid"]["id"], f"{selection} {card and card.get('grid')}")
    check("the page's link holds the view and the selection",
          str(sel.get("lon")) in page.eval("location.hash"), page.eval("location.hash"))
    page.screenshot(os.path.join(shots, "click.png"))

    # One network: pick a category, click the map, the card shows who handles it there (ROUTE).
    picked = page.eval("(() => { const s = document.getElementById('category'); s.value = '0201';"
                       " s.dispatchEvent(new Event('change')); return s.options.length; })()")
    check("the category picker lists the catalogue", picked and picked > 60, picked)
    page.eval("map.setView([24.3040, 109.4380], 16); true")
    time.sleep(0.5)
    page.click(rect["x"] + rect["width"] * 0.55, rect["y"] + rect["height"] * 0.45)
    routed = page.wait("window.gridmap.route && window.gridmap.route.point.lon !== "
                       f"{card['point']['lon'] if card else 0}")
    sel = json.loads(page.eval("JSON.stringify(state.selection)") or "{}")
    truth = get(f"{base}/api/route?lon={sel.get('lon')}&lat={sel.get('lat')}&category=0201")
    route = page.eval("window.gridmap.route") or {}
    card_text = page.eval("document.getElementById('card').innerText") or ""
    check("a click with a category shows the route: the unit ROUTE names there, its duty phone, the chain",
          routed and truth.get("unit") and route.get("unit", {}).get("id") == truth["unit"]["id"]
          and truth["unit"]["name"] in card_text and truth["unit"]["duty_phone"] in card_text
          and "属地链" in card_text and "时限" in card_text, f"{truth.get('unit')} {card_text[-300:]}")
    # A department's layer toggle: a real click on its checkbox draws its units' areas.
    precincts = get(f"{base}/api/layers/units?department=D04")["features"]
    spot = json.loads(page.eval("(() => { const i = document.querySelector('#departments input[value=D04]');"
                                " i.scrollIntoView(); return JSON.stringify(i.getBoundingClientRect()); })()"))
    page.click(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)
    drawn = page.wait("state.drawn.D04 && state.drawn.D04.getLayers().length")
    check("the 公安 toggle draws every one of its units' areas", drawn == len(precincts) and len(precincts) > 1,
          f"{drawn} drawn of {len(precincts)}")
    page.eval("map.setView([24.3040, 109.4380], 14); true")
    time.sleep(0.8)
    page.screenshot(os.path.join(shots, "route.png"))

    # The planner's page, on draft 1.
    page.call("Page.navigate", url=base + "/plan#draft=1")
    check("the planner's page loads", page.wait("window.planner && window.planner.ready"))
    panels = page.eval("document.getElementById('panels').innerText")
    check("it lists the versions and the draft", "版本历史" in panels and "北安社区网格调整" in panels,
          panels[:300])
    check("the draft's changes are drawn: the old grid and the two new ones",
          page.eval("window.planner.changes") >= 3, page.eval("window.planner.changes"))
    check("the impact table has a row per changed grid", page.eval("window.planner.impactRows") >= 3)
    check("validation finds the households warning, named in Chinese (the rule's code its tooltip)",
          "户数超出范围" in panels and page.eval("!!document.querySelector(\"#findings b[title='households_range']\")"),
          panels[-400:])
    item = json.loads(page.eval("(() => { const li = [...document.querySelectorAll('#findings li')]"
                                ".find(li => li.querySelector(\"b[title='households_range']\")); li.scrollIntoView();"
                                " return JSON.stringify(li.getBoundingClientRect()); })()"))
    page.click(item["x"] + 20, item["y"] + item["height"] / 2)
    focused = page.wait("window.planner.focused && window.planner.focused.location")
    centre = page.eval("JSON.stringify(map.getCenter())")
    c = json.loads(centre)
    check("clicking a finding zooms to its place", focused and abs(c["lng"] - focused[0]) < 1e-5
          and abs(c["lat"] - focused[1]) < 1e-5 and page.eval("map.getZoom()") == 18, f"{centre} {focused}")
    page.screenshot(os.path.join(shots, "plan.png"))
    print(f"screenshots in {shots}/: loading-map.png, failed-map.png, loading-plan.png, failed-plan.png, "
          "district.png, search.png, click.png, route.png, plan.png")
finally:
    stop(server)
    browser.close()
    shutil.rmtree(profile, ignore_errors=True)
check.finish("map page in Chromium")
