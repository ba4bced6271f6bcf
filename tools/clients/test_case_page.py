"""Cases on the dispatcher's page (issue #39), in a real browser.

Usage: python3 tools/clients/test_case_page.py PATH/TO/gridmap [SCREENSHOT_DIR]
Starts `gridmap serve` on a store of its own (reader and planner passwords set) and headless
Chromium (DevTools protocol); the browser's credentials prompt is answered as a person would. On
the 案件 tab: signed in as a reader, the page reads and offers no action; as the planner, it is
a dispatcher. A case reported two days ago is overdue: first in the queue,
marked 超期 there and on the map. A case is reported on the page: a real click on the map, a
category picked, the route shown before anything is sent (checked against GET /api/route for
that point), then sent; it is accepted, dispatched, handled, failed at 核查 (back to dispatched,
a rework), handled again, passed and so closed, each by a real click on the card's button;
after each step the card, the queue and the map layer are checked against GET /api/cases/ID
(stage, events), and the closed case leaves the queue and the open layer. A stale action
(another client acted first over the API) is refused in Chinese, writes nothing and keeps the
note typed. A marker clicked opens its case; the filters (category, unit, period) give what
GET /api/cases gives. Prints 'N passed, N failed'; screenshots only into SCREENSHOT_DIR.
"""
import base64, datetime, json, os, secrets, shutil, sqlite3, subprocess, sys, tempfile, time
import urllib.error, urllib.request

from browser import Browser
from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
shots = sys.argv[2] if len(sys.argv) > 2 else None
if shots:
    os.makedirs(shots, exist_ok=True)
check = Checks()
PLANNER, READER = "planner-" + secrets.token_hex(8), "reader-" + secrets.token_hex(8)
OPEN = "reported,accepted,dispatched,handled,deferred"
work = tempfile.mkdtemp(prefix="gridmap-case-page-")
store = os.path.join(work, "cases.gridmap")
port, http, devtools = free_port(), free_port(), free_port()
base = f"http://127.0.0.1:{http}"
run(binary, "store", "import", "data/yufeng", "--store", store, "--author", "test")
# Two places apart from where the page reports (the map's centre at 24.3040, 109.4380).
FAR = (109.4335791, 24.2611188)
NEAR = (109.4200897, 24.3072275)


def serve():
    # Both passwords, as a deployment has them: every /api request needs credentials, so the
    # browser asks once and then answers each challenge from what it was told.
    env = dict(os.environ, GRIDMAP_REQUIREPASS=READER, GRIDMAP_PLANNER_PASS=PLANNER)
    env.pop("GRIDMAP_STORE", None)
    p = subprocess.Popen([binary, "serve", "--port", str(port), "--http-port", str(http), "--store", store],
                         env=env, stderr=subprocess.DEVNULL)
    wait_port(port)
    wait_port(http)
    return p


def call(method, path, body=None, planner=False):
    """(status, JSON) of a request, as the reader or the planner."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    who = f"planner:{PLANNER}" if planner else f"default:{READER}"
    req.add_header("Authorization", "Basic " + base64.b64encode(who.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def case(n):
    return call("GET", f"/api/cases/{n}", planner=True)[1]


def backdate(case_id, days):
    """A copy of case `case_id` as if reported `days` ago, its due time as far back: the API
    stamps every report with the present, so a case already past due is written into the log as
    the server would have written it then (the server stopped meanwhile)."""
    shift = days * 86_400_000
    db = sqlite3.connect(store)
    with db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(case_report)")]
        report = dict(zip(cols, db.execute("SELECT * FROM case_report WHERE id = ?", (case_id,)).fetchone()))
        body = json.loads(report["body"])
        body["due_ms"] -= shift
        report.update(id=None, key=None, reported_ms=report["reported_ms"] - shift,
                      body=json.dumps(body, ensure_ascii=False))
        names = [c for c in cols if c != "id"]
        new = db.execute(f"INSERT INTO case_report ({','.join(names)}) VALUES ({','.join('?' * len(names))})",
                         [report[c] for c in names]).lastrowid
        for seq, at, ebody in db.execute("SELECT seq, at_ms, body FROM case_event WHERE case_id = ?", (case_id,)):
            db.execute("INSERT INTO case_event (case_id, seq, at_ms, body) VALUES (?,?,?,?)",
                       (new, seq, at - shift, ebody))
        cols = [r[1] for r in db.execute("PRAGMA table_info(case_state)")]
        s = dict(zip(cols, db.execute("SELECT * FROM case_state WHERE case_id = ?", (case_id,)).fetchone()))
        s.update(case_id=new, due_ms=s["due_ms"] - shift, updated_ms=s["updated_ms"] - shift)
        db.execute(f"INSERT INTO case_state ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                   [s[c] for c in cols])
    db.close()
    return new


def shot(page, name):
    if shots:
        page.screenshot(os.path.join(shots, name))


READY = "!!(window.gridmap && window.gridmap.ready && window.gridmap.cases && window.gridmap.cases.ready)"


def sign_in(page, user, password):
    """Loads the page, answering the browser's credentials prompt as a person would (DevTools'
    Fetch domain stands in for the dialog, as in test_cross_site.py), until the page is ready:
    its requests go on after the load event, and one left paused would never be answered.
    Events are read here, not by Page.call (which drops them), so commands are sent raw."""
    page.call("Fetch.enable", handleAuthRequests=True, patterns=[{"urlPattern": "*"}])
    ids = iter(range(500_000, 600_000))

    def send(method, **params):
        n = next(ids)
        page.ws.send(json.dumps({"id": n, "method": method, "params": params}))
        return n
    send("Page.navigate", url=base + "/")
    asked, ready, probe, deadline = False, False, None, time.monotonic() + 180
    while not ready and time.monotonic() < deadline:
        if probe is None:
            probe = send("Runtime.evaluate", expression=READY, returnByValue=True)
        m = json.loads(page.ws.recv())
        method, params = m.get("method"), m.get("params", {})
        if method == "Fetch.requestPaused":
            send("Fetch.continueRequest", requestId=params["requestId"])
        elif method == "Fetch.authRequired":
            asked = True
            send("Fetch.continueWithAuth", requestId=params["requestId"], authChallengeResponse={
                "response": "ProvideCredentials", "username": user, "password": password})
        elif m.get("id") == probe:
            ready = m.get("result", {}).get("result", {}).get("value") is True
            probe = None
            time.sleep(0.05)
    page.call("Fetch.disable")
    if not ready:
        print("FAILED: the page did not get ready within 180 s; it says:",
              page.eval("document.body.innerText.slice(0, 300)"), file=sys.stderr)
        raise TimeoutError("the page did not get ready")
    page.click_element("#tab-cases")
    page.wait("!document.getElementById('cases').hidden && document.getElementById('lookup').hidden")
    return asked


def urgency(cases):
    """The page's order: overdue first, then by due time."""
    return [c["id"] for c in sorted(cases, key=lambda c: (not c["overdue"], c["due_at"]))]


server = serve()
browser = None
try:
    # The fixtures: case 1 reported over the API, copied as case 2 two days old (overdue), case 1
    # voided as its duplicate (so that one marker stands at that place); case 3 another report.
    status, first = call("POST", "/api/cases", {"lon": FAR[0], "lat": FAR[1], "category": "0701",
                                                "description": "路口违章停车", "source": "hotline",
                                                "attributes": {"plate": "桂B12345"}})
    check("a reader reports over the API", status == 201 and first.get("id") == 1, (status, first))
    stop(server)
    late = backdate(1, 2)
    server = serve()
    call("POST", "/api/cases/1/void", {"note": "重复", "duplicate_of": late}, planner=True)
    status, other = call("POST", "/api/cases", {"lon": NEAR[0], "lat": NEAR[1], "category": "0201",
                                                "description": "井盖松动", "source": "resident"})
    overdue = case(late)
    check("the case reported two days ago is overdue (API)", overdue.get("overdue") is True
          and case(1).get("stage") == "voided" and status == 201, overdue)

    try:
        with urllib.request.urlopen(base + "/cases.js", timeout=60) as r:
            served = r.status == 200 and b"startCases" in r.read()
    except urllib.error.HTTPError as e:
        served = e.code
    check("the server serves the page's cases.js (PageRoutes' list of files)", served is True, served)
    browser = Browser(devtools, work)
    page = browser.first_page()
    gc = "window.gridmap.cases"

    # A reader (in a browser context of its own): the queue, a card, no actions.
    reader = browser.new_page()
    asked = sign_in(reader, "default", READER)
    check("a reader signed in through the browser's prompt is a reader on the page",
          asked and reader.eval(f"{gc}.role") == "reporter"
          and "读者" in reader.eval("document.getElementById('case-role').textContent"))
    reader.click_element(f"#case-queue li[data-id='{other['id']}']")
    reader.wait(f"{gc}.card && {gc}.card.id === {other['id']}")
    check("a reader's card offers no action", reader.eval("document.querySelectorAll('#case-card .buttons button')"
                                                           ".length") == 0
          and "调度员账户登录" in reader.eval("document.getElementById('case-card').innerText"))
    check("a reader's queue has the open cases too",
          [q["id"] for q in reader.eval(f"{gc}.queue")] == [late, other["id"]], reader.eval(f"{gc}.queue"))

    asked = sign_in(page, "planner", PLANNER)
    check("the planner signed in through the browser's prompt is a dispatcher on the page",
          asked and page.eval(f"{gc}.role") == "dispatcher"
          and "调度员" in page.eval("document.getElementById('case-role').textContent"))

    def settled():
        return page.eval(f"{gc}.settled")

    def refreshes():
        return page.eval(f"{gc}.refreshes")

    def open_row(n):
        page.click_element(f"#case-queue li[data-id='{n}']")
        return page.wait(f"{gc}.card && {gc}.card.id === {n} && document.querySelector('#case-card h2') && "
                         f"document.querySelector('#case-card h2').textContent.includes('#{n}')")

    # The overdue case: first in the queue, marked there and on the map.
    queue = page.eval(f"{gc}.queue")
    first_li = page.eval("(() => { const li = document.querySelector('#case-queue li'); return li &&"
                         " {id: li.dataset.id, text: li.textContent, overdue: li.classList.contains('overdue')}; })()")
    check("the overdue case is first in the queue and marked 超期",
          queue and queue[0]["id"] == late and queue[0]["overdue"] and first_li and first_li["id"] == str(late)
          and first_li["overdue"] and "超期" in first_li["text"], (queue, first_li))
    check("a case not overdue is not marked", all(not q["overdue"] for q in queue[1:]) and "超期" not in page.eval(
        f"document.querySelector(\"#case-queue li[data-id='{other['id']}']\").textContent"), queue)
    marker = page.eval(f"{gc}.markers.find(m => m.id === {late})")
    drawn = page.eval(f"(() => {{ const l = cases.layer.getLayers().find(l => l.feature.properties.id === {late});"
                      " return l && {color: l.options.color, weight: l.options.weight}; })()")
    check("the overdue case is marked on the map", marker and marker["overdue"] and drawn
          and drawn["color"] == "#d00000", (marker, drawn))
    shot(page, "cases-queue.png")

    # A marker clicked (a real click on the map) opens its case.
    page.eval(f"map.setView([{overdue['stamp']['lat']}, {overdue['stamp']['lon']}], 17, {{animate: false}}); true")
    spot = json.loads(page.eval(f"JSON.stringify(map.latLngToContainerPoint([{overdue['stamp']['lat']}, "
                                f"{overdue['stamp']['lon']}]))"))
    rect = json.loads(page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())"))
    page.click(rect["x"] + spot["x"], rect["y"] + spot["y"])
    check("clicking a case's marker opens its card",
          page.wait(f"{gc}.card && {gc}.card.id === {late}"))
    check("a marker's click places no report", page.eval("cases.place") is None)

    # Reporting on the page: the category, a real click on the map, the route before sending.
    count_before = call("GET", "/api/cases?limit=1000", planner=True)[1]["count"]
    page.eval("(() => { const s = document.getElementById('case-category'); s.value = '0101';"
              " s.dispatchEvent(new Event('change')); return true; })()")
    check("nothing can be sent before the route is shown", page.eval("document.getElementById('case-submit').disabled"))
    page.eval("map.setView([24.3040, 109.4380], 16, {animate: false}); true")
    rect = json.loads(page.eval("JSON.stringify(document.getElementById('map').getBoundingClientRect())"))
    page.click(rect["x"] + rect["width"] * 0.5, rect["y"] + rect["height"] * 0.5)
    page.wait(f"{gc}.preview && {gc}.previewFor && !document.getElementById('case-submit').disabled")
    at = page.eval(f"{gc}.previewFor")
    status, truth = call("GET", f"/api/route?lon={at['lon']}&lat={at['lat']}&category=0101")
    preview = page.eval(f"{gc}.preview")
    text = page.eval("document.getElementById('case-preview').innerText")
    who = truth.get("unit") or {}
    check("before sending, the page shows the route GET /api/route gives for that point",
          status == 200 and preview.get("handled_by") == truth.get("handled_by")
          and (preview.get("unit") or {}).get("id") == who.get("id")
          and (who.get("name", "") in text) and truth["category"]["name"] in text
          and f"{truth['category']['time_limit_hours']} 小时" in text and "属地链" in text, (truth, text[:400]))
    check("and nothing was sent yet", call("GET", "/api/cases?limit=1000", planner=True)[1]["count"] == count_before)
    shot(page, "cases-report.png")
    page.type_into("#case-description", "人行道上堆放生活垃圾（页面上报）")
    # The category's question (its Open311 attribute 垃圾量), asked on the form and kept.
    asked = page.wait("document.getElementById('case-attr-volume') !== null")
    check("the category's attribute is asked on the form: 垃圾量 with its three values",
          asked and page.eval("document.getElementById('case-attr-volume').options.length") == 4
          and "垃圾量" in page.eval("document.getElementById('case-attributes').innerText"))
    page.eval("(() => { document.getElementById('case-attr-volume').value = 'heap'; return true; })()")
    before = settled()
    page.click_element("#case-submit")
    page.wait(f"{gc}.settled > {before}")
    made = page.eval(f"{gc}.card") or {}
    new = made.get("id")
    got = case(new) if new else {}
    check("the report is sent and its card shown: the point clicked, the category, the route's unit",
          got.get("stage") == "reported" and got.get("category") == "0101"
          and abs(got["stamp"]["lon"] - at["lon"]) < 1e-7 and abs(got["stamp"]["lat"] - at["lat"]) < 1e-7
          and got["stamp"]["unit"] == who.get("id") and got["description"] == "人行道上堆放生活垃圾（页面上报）"
          and got.get("attributes") == {"volume": "heap"}
          and call("GET", "/api/cases?limit=1000", planner=True)[1]["count"] == count_before + 1,
          (page.eval(f"{gc}.message"), json.dumps(got, ensure_ascii=False)[:300]))
    check("the card shows its stamp: grid, community, street, map version, due",
          all(s in page.eval("document.getElementById('case-card').innerText")
              for s in (got["stamp"]["grid"], got["stamp"]["community"], got["stamp"]["street"], "地图版本",
                        got["due_at"][5:16].replace("T", " "))) if got else False)

    def follows(n, step):
        """The card, the queue and the layer against GET /api/cases/n."""
        t = case(n)
        card = page.eval(f"{gc}.card") or {}
        rows = page.eval("document.querySelectorAll('#case-history li').length")
        q = page.eval(f"{gc}.queue.find(c => c.id === {n}) || null")
        m = page.eval(f"{gc}.markers.find(c => c.id === {n}) || null")
        fill = page.eval(f"(() => {{ const l = cases.layer.getLayers().find(l => l.feature.properties.id === {n});"
                         " return l ? l.options.fillColor : null; })()")
        check(f"{step}: the card shows the case as the API has it (stage, every event)",
              card.get("stage") == t["stage"] and card.get("last_event") == t["last_event"]
              and rows == len(t["history"]) == t["last_event"], (card.get("stage"), card.get("last_event"), rows, t))
        if t["stage"] in OPEN.split(","):
            check(f"{step}: the queue and the map follow", q and q["stage"] == t["stage"]
                  and q["last_event"] == t["last_event"] and m and m["stage"] == t["stage"]
                  and fill == page.eval(f"stageColors[{json.dumps(t['stage'])}]"), (q, m, fill))
        else:
            check(f"{step}: the finished case leaves the queue and the open layer", q is None and m is None, (q, m))
        return t

    def act(n, action, note=None):
        if note:
            page.type_into("#case-note", note)
        before = settled()
        page.click_element(f"#act-{action}")
        page.wait(f"{gc}.settled > {before}")

    def offered():
        return page.eval("[...document.querySelectorAll('#case-card .buttons button')].map(b => b.dataset.action)")

    follows(new, "reported")
    steps = [("accept", None, "accepted", 2), ("dispatch", None, "dispatched", 3),
             ("handle", "已清运", "handled", 4), ("fail", "现场仍有垃圾，返工", "dispatched", 5),
             ("handle", "已再次清运并冲洗", "handled", 6), ("pass", None, "closed", 7)]
    for action, note, stage, events in steps:
        if stage == "closed":
            check("at 处置 the dispatcher may pass or fail the case, not handle it again",
                  "pass" in offered() and "fail" in offered() and "handle" not in offered(), offered())
        act(new, action, note)
        t = follows(new, f"{action} → {stage}")
        check(f"{action}: the case is at {stage} with {events} events", t["stage"] == stage
              and t["last_event"] == events and not page.eval(f"{gc}.message").startswith(("未", "操作")), t)
        if action == "dispatch":
            check("dispatched to the unit the route named", t["unit"] == who.get("id"), t["unit"])
    shot(page, "cases-closed.png")
    t = case(new)
    history = page.eval("document.getElementById('case-history').innerText")
    check("the timeline shows the failed 核查 with its note, and the rework is counted",
          "核查不通过" in history and "现场仍有垃圾，返工" in history and t["reworks"] == 1
          and [h["action"] for h in t["history"]] == [None, "accept", "dispatch", "handle", "fail", "handle", "pass"],
          history)
    check("a closed case offers no action", offered() == [], offered())
    before = refreshes()
    page.click_element("#case-finished")
    page.wait(f"{gc}.refreshes > {before}")
    m = page.eval(f"{gc}.markers.find(c => c.id === {new}) || null")
    check("with finished cases shown, the closed case is on the map as closed, still not in the queue",
          m and m["stage"] == "closed" and page.eval(f"{gc}.queue.every(c => c.id !== {new})"), m)
    before = refreshes()
    page.click_element("#case-finished")
    page.wait(f"{gc}.refreshes > {before}")

    # A stale action: another client accepts case 3 first; the page's refusal is refused.
    n = other["id"]
    open_row(n)
    note = "类别不属本区受理范围"
    page.type_into("#case-note", note)
    status, _ = call("POST", f"/api/cases/{n}/accept", {"expect": 1}, planner=True)
    before = settled()
    page.click_element("#act-refuse")
    page.wait(f"{gc}.settled > {before}")
    t = case(n)
    message = page.eval(f"{gc}.message")
    check("a stale action is refused in Chinese", status == 200 and "已被他人办理" in message
          and "未执行" in message and message in page.eval("document.getElementById('case-message').textContent"),
          message)
    check("the stale action wrote nothing", t["stage"] == "accepted" and t["last_event"] == 2
          and [h["action"] for h in t["history"]] == [None, "accept"], t)
    check("the note typed is kept, the card shows the case as it is now",
          page.eval("document.getElementById('case-note').value") == note
          and page.eval(f"{gc}.card.last_event") == 2 and page.eval(f"{gc}.card.stage") == "accepted"
          and "refuse" not in offered() and "dispatch" in offered(), offered())
    follows(n, "after the refusal")
    shot(page, "cases-stale.png")

    # Filters: the queue and the layer are what GET /api/cases gives for them.
    def filtered(setting, query):
        before = refreshes()
        page.eval(setting)
        page.wait(f"{gc}.refreshes > {before}")
        want = call("GET", "/api/cases?limit=1000&stage=" + OPEN + query, planner=True)[1]["cases"]
        return [q["id"] for q in page.eval(f"{gc}.queue")], [m["id"] for m in page.eval(f"{gc}.markers")], want

    def choose(id, value):
        return (f"(() => {{ const s = document.getElementById('{id}'); s.value = {json.dumps(value)};"
                " s.dispatchEvent(new Event('change')); return true; })()")

    ids, marks, want = filtered(choose("case-filter-category", "0201"), "&category=0201")
    check("the category filter", ids == urgency(want) == [n] and sorted(marks) == [n], (ids, marks, want))
    unit = t["unit"] or t["stamp"]["unit"]
    ids, marks, want = filtered(choose("case-filter-category", "") + " && " + choose("case-filter-unit", unit),
                                "&unit=" + unit)
    check("the unit filter", ids == urgency(want) and sorted(marks) == sorted(ids), (ids, marks, unit))
    china = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    ids, marks, want = filtered(choose("case-filter-unit", "") + " && " + choose("case-from", str(china)),
                                f"&from={china}T00:00:00%2B08:00")
    check("the period filter: from today leaves out the case two days old",
          ids == urgency(want) and late not in ids and n in ids and sorted(marks) == sorted(ids), (ids, want))
    ids, marks, want = filtered(choose("case-from", str(china - datetime.timedelta(days=2))) + " && "
                                + choose("case-to", str(china - datetime.timedelta(days=1))),
                                f"&from={china - datetime.timedelta(days=2)}T00:00:00%2B08:00"
                                f"&to={china}T00:00:00%2B08:00")
    check("the period filter: the two days before today hold only the old case",
          ids == urgency(want) == [late] and marks == [late], (ids, marks, want))
finally:
    if browser:
        browser.close()
    stop(server)
    shutil.rmtree(work, ignore_errors=True)
check.finish("cases on the dispatcher's page")
