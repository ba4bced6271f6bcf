"""Script in names: both map pages in a real browser on a district whose every name is markup.

Usage: python3 tools/clients/test_page_payloads.py PATH/TO/gridmap [--bypass-csp]
Copies data/yufeng and replaces every text people read on the pages (the names of streets,
communities, grids, resources, units, departments and categories, contacts, duty phones,
category groups and keywords) with HTML/JS payloads that set window.__pwned if they ever run,
each with a tag of its own ("[gn12]": grid 12's name). Imports it, serves it, and in headless Chromium:
on / ticks every department and resource toggle, opens the tooltip of every layer on the map,
hovers points with real mouse events, shows the labels at each zoom, searches a point (the
grid card) and picks a category (the route card); on /plan opens drafts named by payloads,
renames a grid to a payload through the page's own api(), shows the grid's card, the impact,
validation and history views, has an edit refused, publishes with a payload message, compares
versions and shows the map as of a moment. Then the dispatcher's link state: a link asking for
an old version (`,wgs84&asof=1`) or with numbers and CRS out of range selects nothing.
Checks that no payload ran (window.__pwned), that none became an element (no img[src=x],
inline script, iframe or handler attribute anywhere in the document), that the payloads were
shown as text (so the test fails if the data were never shown), and that the page caused no
Content-Security-Policy violation. Prints 'N passed, N failed'; exits non-zero on a failure.
Addresses are left as they are: neither page shows an address's text.
With --bypass-csp Chromium ignores the server's policy (DevTools Page.setBypassCSP): the pages
must be safe on their own too, and a payload that is parsed then runs and sets window.__pwned
(under the policy its handler is blocked and reported as a violation instead).
"""
import calendar, csv, json, os, shutil, subprocess, sys, tempfile, time, urllib.request

from browser import Browser, get_json
from harness import Checks, free_port, run, stop, wait_port

args = [a for a in sys.argv[1:] if a != "--bypass-csp"]
binary = args[0] if args else ".build/release/gridmap"
bypass_csp = "--bypass-csp" in sys.argv[1:]
check = Checks()
port, http, devtools = free_port(), free_port(), free_port()
profile = tempfile.mkdtemp(prefix="gridmap-payloads-")
data = os.path.join(profile, "yufeng")
store = os.path.join(profile, "payloads.gridmap")

# Each sets a flag if it runs: as an element with a handler, a script, a frame, or by breaking
# out of a quoted attribute. Printable characters only (the server refuses control and format
# characters in names); no ";" so that each can also be one of a category's keywords.
PAYLOADS = [
    '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">',
    '"><svg onload=window.__pwned=1>',
    "'><script>window.__pwned=1</script>",
    "</span></td><img src=x onerror=window.__pwned=1>",
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "<b onmouseover=window.__pwned=1>hover</b>",
]
# Elements and attributes a payload would leave in the document if it were parsed as HTML.
INJECTED = "img[src='x'], script:not([src]), iframe, svg[onload], [onerror], [onload], [onmouseover]"
# Every CSP violation, from before the page's first script. With the policy the server sends a
# parsed payload's handler is blocked rather than run (so __pwned alone would not see it) and
# reported here; before the server sends the header this list stays empty whatever the page does.
CSP_LISTENER = ("document.addEventListener('securitypolicyviolation', e => (window.__csp = window.__csp || [])"
                ".push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));")


def payload(tag, n):
    return f"{PAYLOADS[n % len(PAYLOADS)]}[{tag}{n}]"


def rewrite_geojson(name, fields, tag):
    path = os.path.join(data, name)
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    for n, feature in enumerate(collection["features"]):
        for field in fields:
            if isinstance(feature["properties"].get(field), str):
                feature["properties"][field] = payload(tag + field[0], n)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(collection, f, ensure_ascii=False)
    return collection


def rewrite_csv(name, change):
    path = os.path.join(data, name)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    for n, row in enumerate(rows):
        change(n, row)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return rows


shutil.copytree("data/yufeng", data)
rewrite_geojson("outline.geojson", ["name"], "o")
streets = rewrite_geojson("streets.geojson", ["name"], "s")
communities = rewrite_geojson("communities.geojson", ["name"], "c")
grids = rewrite_geojson("grids.geojson", ["name"], "g")
resources = rewrite_geojson("resources.geojson", ["name", "contact"], "r")
units = rewrite_geojson("units.geojson", ["name", "duty_phone"], "u")
rewrite_csv("departments.csv", lambda n, r: r.update(name=payload("dn", n), duty_phone=payload("dp", n)))
groups = {}


def category(n, row):
    # One payload per 大类, so that the picker still groups by it.
    row["group"] = groups.setdefault(row["group"], payload("kg", len(groups)))
    row.update(name=payload("kn", n), keywords=payload("kk", n) + ";" + payload("kk", n + 1))


categories = rewrite_csv("categories.csv", category)
with open(os.path.join(data, "manifest.json"), encoding="utf-8") as f:
    manifest = json.load(f)
manifest["district_name"] = payload("m", 0)
with open(os.path.join(data, "manifest.json"), "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False)

imported = run(binary, "store", "import", data, "--store", store, "--author", "test", ok=False)
if imported.returncode != 0:
    # Not weakened quietly: the payloads are the test. Say which one the importer refused.
    print(f"the import refused the payloads: {imported.stderr.strip()}", file=sys.stderr)
    check("the district with payload names imports", False, imported.stderr.strip())
    shutil.rmtree(profile, ignore_errors=True)
    check.finish("payloads in names, in Chromium")

server = subprocess.Popen([binary, "serve", "--port", str(port), "--http-port", str(http), "--store", store],
                          stderr=subprocess.DEVNULL)
browser = Browser(devtools, profile)
base = f"http://127.0.0.1:{http}"


def js(value):
    return json.dumps(value, ensure_ascii=False)


def safe(page, where):
    """Nothing ran, nothing became an element, the policy was never violated."""
    pwned = page.eval("window.__pwned === undefined ? null : String(window.__pwned)")
    check(f"{where}: no payload ran (window.__pwned unset)", pwned is None, pwned)
    injected = page.eval(f"[...document.querySelectorAll({js(INJECTED)})].map(e => e.outerHTML)")
    check(f"{where}: no payload became an element", injected == [], injected[:3])
    csp = page.eval("window.__csp || []")
    check(f"{where}: no Content-Security-Policy violation", csp == [], csp[:5])


def hover_all(page, selector):
    """The mouse moved over the middle of every element `selector` matches."""
    boxes = json.loads(page.eval(f"JSON.stringify([...document.querySelectorAll({js(selector)})]"
                                 ".map(e => e.getBoundingClientRect()))"))
    for b in boxes:
        page.call("Input.dispatchMouseEvent", type="mouseMoved", x=b["x"] + b["width"] / 2, y=b["y"] + b["height"] / 2)


def fresh(page, url):
    """Loads `url` as a new document (a change of the fragment alone would not reload the page)."""
    page.navigate("about:blank")
    page.wait("location.href === 'about:blank'")
    page.navigate(url)


try:
    wait_port(port)
    wait_port(http)
    with urllib.request.urlopen(base + "/", timeout=10) as r:
        policy = r.headers.get("Content-Security-Policy")
    print(f"Content-Security-Policy sent with the page: {policy or 'none (violations cannot happen yet)'}")
    page = browser.first_page()
    page.call("Page.addScriptToEvaluateOnNewDocument", source=CSP_LISTENER)
    if bypass_csp:
        page.call("Page.setBypassCSP", enabled=True)
        print("the server's Content-Security-Policy is bypassed: only the pages themselves keep payloads inert")

    # 1. The dispatcher's page, every layer on.
    page.navigate(base + "/")
    check("the dispatcher's page loads the payload district", page.wait("window.gridmap && window.gridmap.ready"))
    toggles = page.eval("(() => { const boxes = [...document.querySelectorAll("
                        "'#departments input[type=checkbox], #kinds input[type=checkbox]')];"
                        " boxes.forEach(b => { if (!b.checked) b.click(); }); return boxes.length; })()")
    kinds = sorted({f["properties"]["kind"] for f in resources["features"]})
    departments = sorted({f["properties"]["department"] for f in units["features"]})
    check("every department and resource kind has a toggle", toggles == len(kinds) + len(departments),
          f"{toggles} toggles for {len(kinds)} kinds and {len(departments)} departments")
    drawn = page.wait(f"Object.keys(state.resources).length === {len(kinds)} && "
                      f"Object.keys(state.drawn).length === {len(departments)}")
    check("every toggle drew its layer", drawn)
    toggle_text = page.eval("document.getElementById('departments').innerText + "
                            "document.getElementById('kinds').innerText")
    check("the departments' toggles name them as text",
          all(f"[dn{n}]" in toggle_text for n in range(len(departments))), toggle_text[:300])

    # Every tooltip bound on the map, opened: its content must be the name as text. In slices
    # of the layer list, each one evaluation (opening one forces a layout: thousands take a while).
    total = page.eval("window.__layers = []; map.eachLayer(l => window.__layers.push(l)); "
                      "window.__opened = { tooltips: 0, popups: 0, tagged: 0, markup: 0, sample: [] }; "
                      "window.__layers.length")
    for first in range(0, total, 500):
        page.eval(f"""(() => {{
          const out = window.__opened;
          for (const l of window.__layers.slice({first}, {first + 500})) {{
            for (const [get, open, close, count] of [["getTooltip", "openTooltip", "closeTooltip", "tooltips"],
                                                     ["getPopup", "openPopup", "closePopup", "popups"]]) {{
              if (!l[get] || !l[get]()) continue;
              l[open]();
              const node = l[get]().getElement();
              out[count]++;
              if (/\\[(r|u)[a-z]\\d+\\]/.test(node.textContent)) out.tagged++;
              if (node.querySelector("img, svg, script, iframe, b")) out.markup++;
              if (out.sample.length < 4) out.sample.push(node.textContent);
              l[close]();
            }}
          }}
          return true;
        }})()""")
    opened = page.eval("window.__opened")
    expected = len(resources["features"]) + len(units["features"])
    check("every point's and unit's tooltip opens (every layer is on the map)",
          opened["tooltips"] == expected, f"{opened['tooltips']} of {expected}")
    check("every tooltip shows its name as text, no markup inside",
          opened["tagged"] == opened["tooltips"] and opened["markup"] == 0 and opened["tooltips"] > 0,
          opened)
    check("a tooltip holds a payload's literal text",
          any("<img src=x onerror=" in s or "<svg onload=" in s or "<script>" in s for s in opened["sample"]),
          opened["sample"])
    print("tooltips:", " | ".join(opened["sample"][:3]))

    # Real mouse events over a few points: the tooltip Leaflet opens on hover is text too.
    rect = json.loads(page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())"))
    hovered = []
    for feature in [resources["features"][k] for k in (0, 900, 3000)]:
        lon, lat = feature["geometry"]["coordinates"]
        page.eval(f"map.setView([{lat!r}, {lon!r}], 19, {{animate: false}}); true")
        time.sleep(0.4)
        p = json.loads(page.eval(f"JSON.stringify(map.latLngToContainerPoint([{lat!r}, {lon!r}]))"))
        for dx in (-3, 0):
            page.call("Input.dispatchMouseEvent", type="mouseMoved", x=rect["x"] + p["x"] + dx, y=rect["y"] + p["y"])
            time.sleep(0.1)
        hovered.append(page.wait("(document.querySelector('.leaflet-tooltip') || {}).textContent", 60))
        page.call("Input.dispatchMouseEvent", type="mouseMoved", x=rect["x"] + 5, y=rect["y"] + 5)
        time.sleep(0.2)
    check("hovering points opens their tooltips, the names as text",
          all(h and "[rn" in h for h in hovered), hovered)

    # The labels at each zoom (streets, communities, grid codes and names): the names as text.
    labelled = {}
    for zoom, tag in [(12, "[sn"), (14, "[cn"), (17.5, "[gn")]:
        page.eval(f"map.setView([24.3040, 109.4380], {zoom}, {{animate: false}}); true")
        time.sleep(0.5)
        labelled[zoom] = page.eval(f"[...document.querySelectorAll('.leaflet-marker-pane .label')]"
                                   f".filter(e => e.textContent.includes('{tag}')).length")
    check("street, community and grid name labels show the names as text",
          labelled[12] == len(streets["features"]) and labelled[14] == len(communities["features"])
          and labelled[17.5] == len(grids["features"]), labelled)

    # A point searched for (typed into the box): the grid card.
    with open("data/yufeng/addresses.csv", encoding="utf-8") as f:
        address = list(csv.DictReader(f))[1234]
    G = address["grid_id"]
    grid_index = next(n for n, f in enumerate(grids["features"]) if f["properties"]["id"] == G)
    grid = grids["features"][grid_index]["properties"]
    community = next(f["properties"] for f in communities["features"] if f["properties"]["id"] == grid["community_id"])
    street = next(f["properties"] for f in streets["features"] if f["properties"]["id"] == grid["street_id"])
    page.eval("document.getElementById('query').value = ''; document.getElementById('query').focus(); true")
    page.call("Input.insertText", text=f"{address['lon']},{address['lat']}")
    for kind in ("keyDown", "keyUp"):
        page.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                  text="\r" if kind == "keyDown" else "")
    shown = page.wait(f"window.gridmap.card && window.gridmap.card.grid && window.gridmap.card.grid.id === '{G}'")
    card = page.eval("document.getElementById('card').innerText") or ""
    check("a searched point shows its grid's card", shown, page.eval("document.getElementById('message').innerText"))
    check("the card shows the grid's, community's and street's names as text",
          grid["name"] in card and community["name"] in card and street["name"] in card
          and page.eval("document.getElementById('grid-name').textContent") == grid["name"], card[:400])
    workers = [f["properties"] for f in resources["features"]
               if f["properties"]["kind"] == "grid_worker" and f["properties"].get("grid_id") == G]
    check("the card shows its grid workers' names and phones as text",
          workers and all(w["name"] in card and w.get("contact", "") in card for w in workers), card[:400])
    # The mouse over every part of the card: a parsed <b onmouseover> would run now.
    hover_all(page, "#card h2, #card td")

    # A category picked: the route card (unit, duty phone, category, 大类, chain).
    picked = page.eval("(() => { const s = document.getElementById('category'); s.value = '0201';"
                       " s.dispatchEvent(new Event('change')); return [...s.options].filter(o => /\\[kn\\d+\\]/"
                       ".test(o.textContent)).length; })()")
    check("the category picker lists every category by its name, as text", picked == len(categories), picked)
    check("the picker's groups are the 大类 as text",
          page.eval("[...document.querySelectorAll('#category optgroup')].every(g => g.label.includes('[kg'))"))
    route = page.wait("window.gridmap.route")
    card = page.eval("document.getElementById('card').innerText") or ""
    cat = categories[[r["code"] for r in categories].index("0201")]
    unit = (route or {}).get("unit") or {}
    check("the route card shows the unit, its duty phone, the category and its group as text",
          route and unit.get("name") and unit["name"] in card and unit["duty_phone"] in card
          and cat["name"] in card and cat["group"] in card
          and page.eval("document.getElementById('route-unit').textContent") == unit["name"], card[-500:])
    hover_all(page, "#card h3, #card td")
    check("the route card's chain names the community and street as text",
          community["name"] in card.split("属地链")[-1] and street["name"] in card.split("属地链")[-1], card[-300:])
    body = page.eval("document.body.innerText")
    check("the page shows a payload's literal text", "<img src=x onerror=" in body and "<svg onload=" in body)
    safe(page, "dispatcher's page")

    # 2. The planner's page: drafts, a grid renamed, its card, impact, validation, history.
    page.navigate(base + "/plan")
    check("the planner's page loads", page.wait("window.planner && window.planner.ready"))
    author, names = payload("pa", 0), [payload("pd", 0), payload("pd", 1)]
    new_name, message = payload("pg", 0), payload("pm", 0)
    drafts = page.eval(f"""(async () => {{
      localStorage.setItem("gridmap.author", {js(author)});
      const ids = [];
      for (const name of {js(names)}) ids.push((await api("/api/plan/drafts", {{ name, author: author() }})).draft);
      return ids;
    }})()""")
    page.eval("render().then(() => true)")
    panels = page.eval("document.getElementById('panels').innerText") or ""
    check("the draft list shows the drafts' names and author as text",
          all(n in panels for n in names) and author in panels, panels[:400])
    page.eval(f"location.hash = 'draft={drafts[0]}'; true")
    page.wait(f"state.draft === '{drafts[0]}' && window.planner.ready")
    # The page's own helper renames the grid (as its card's 保存 does), then the card is shown.
    renamed = page.eval(f"""(async () => {{
      await api(draftPath("set"), {{ grid: {js(G)}, field: "name", value: {js(new_name)} }});
      state.selected = [{js(G)}];
      drawSelection();
      await refresh();
      return document.getElementById("f-name").value;
    }})()""")
    check("a grid renamed to a payload shows it in its card's name field, as typed", renamed == new_name, renamed)
    panels = page.eval("document.getElementById('panels').innerText") or ""
    check("the draft's name and author are shown as text", names[0] in panels and author in panels, panels[:300])
    check("the grid's card shows its community's name and its staff's names and phones as text",
          community["name"] in panels and all(w["name"] in panels and w.get("contact", "") in panels
                                              for w in workers), panels[:600])
    options = page.eval("[...document.querySelectorAll('#assign-worker option, #move-community option')]"
                        ".filter(o => /\\[(rn|cn)\\d+\\]/.test(o.textContent)).length")
    check("the card's worker and community choices are names as text", options and options > 100, options)
    check("the impact view lists the renamed grid by its new name, as text",
          page.eval("window.planner.impactRows") >= 1 and new_name in panels, panels[-800:])
    # A refused edit: the engine's message (which may quote the value) is shown as text.
    page.eval(f"edit('set', {{ grid: {js(G)}, field: 'households', value: {js(payload('pv', 0))} }}).then(() => true)")
    refused = page.wait("window.planner.lastError")
    shown = page.eval("document.getElementById('message').innerText")
    check("a refused edit is explained beside the map, as text", refused and shown, shown)
    print("refusal shown:", shown)
    # Publish with a payload message (typed, then the button).
    page.type_into("#publish-message", message)
    page.click_element("#publish")
    version = page.wait("window.planner.published")
    check("the draft publishes with the payload message", version == 2, page.eval("JSON.stringify(window.planner)"))
    page.wait("window.planner.ready && !state.draft")
    page.eval("document.getElementById('from').value = '1'; document.getElementById('to').value = '2'; true")
    page.click_element("#compare")
    compared = page.wait("document.getElementById('compared') && window.planner.compare")
    check("the history view compares the versions", compared and G in compared["ids"], compared)
    published = get_json(base + "/api/version/2")["published_at"]
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
        calendar.timegm(time.strptime(published[:19], "%Y-%m-%dT%H:%M:%S")) - 1))
    page.eval(f"document.getElementById('asof').value = '{moment}'; true")
    page.click_element("#show-asof")
    shown = page.wait("(document.getElementById('asof-shown') || {}).textContent")
    check("the map as of a moment before the publish", shown and "版本 1" in shown,
          [moment, page.eval("document.getElementById('message').innerText"), page.eval("window.planner.asOf")])
    panels = page.eval("document.getElementById('panels').innerText") or ""
    check("the history shows the version's author and message as text, the open draft's name too",
          author in panels and message in panels and names[1] in panels, panels[-800:])
    page.eval("map.setView([24.3040, 109.4380], 14, {animate: false}); true")
    time.sleep(0.5)
    labels = page.eval("[...document.querySelectorAll('.leaflet-marker-pane .label')]"
                       ".filter(e => /\\[cn\\d+\\]/.test(e.textContent)).length")
    check("community labels on the planner's map are names as text", labels == len(communities["features"]), labels)
    body = page.eval("document.body.innerText")
    check("the planner's page shows a payload's literal text", "<img src=x onerror=" in body)
    safe(page, "planner's page")

    # 3. The dispatcher's link: read back checked; no way to ask for an old version.
    lon, lat = address["lon"], address["lat"]
    fresh(page, f"{base}/#16/{lat}/{lon}/{lon},{lat},wgs84")
    page.wait("window.gridmap && window.gridmap.ready")
    linked = page.eval("window.gridmap.card && window.gridmap.card.data_version")
    check("a link with a selection answers from the current version, the grid under its new name",
          linked == "2" and page.eval("document.getElementById('grid-name').textContent") == new_name
          and "2" in page.eval("document.getElementById('version').textContent"), linked)
    # Each: the link, and whether its selection stands (a bad view alone leaves the point chosen).
    for link, selects in [(f"16/{lat}/{lon}/{lon},{lat},wgs84&asof=1", False),
                          (f"16/{lat}/{lon}/{lon},{lat},wgs84%26asof%3D1", False),
                          (f"16/{lat}/{lon}/{lon}&asof=1,{lat},wgs84", False),
                          (f"16/{lat}/{lon}/{lon},{lat},evil", False), (f"16/{lat}/{lon}/1e400,{lat},wgs84", False),
                          (f"16/{lat}/{lon}/{lon},95,wgs84", False), (f"99/{lat}/{lon}/{lon},{lat},wgs84,x", False),
                          (f"NaN/Infinity/{lon}/{lon},{lat}", True)]:
        fresh(page, f"{base}/#{link}")
        page.wait("window.gridmap && window.gridmap.ready")
        card = page.eval("window.gridmap.card && window.gridmap.card.data_version")
        check(f"the link '#{link}' {'selects its point in the current version' if selects else 'selects nothing'}",
              card == ("2" if selects else None)
              and page.eval("isFinite(map.getZoom()) && isFinite(map.getCenter().lat)"), card)
    safe(page, "dispatcher's page after links")
finally:
    stop(server)
    browser.close()
    shutil.rmtree(profile, ignore_errors=True)
check.finish("payloads in names, in Chromium")
