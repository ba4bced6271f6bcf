"""Cases from outside: a real Open311 client, FixMyStreet's form POST, and reports that survive
SIGKILL.

Usage: python3 tools/clients/test_cases.py PATH/TO/gridmap
1. `georeport` (PyPI, an Open311 client nobody here wrote) reads the service list, a service
   definition, service requests with filters and one request, in JSON and in XML, from a
   running `gridmap serve`; a report is POSTed form-encoded with the fields FixMyStreet's
   Open311 sender uses (api_key, service_code, lat, long, attribute[…] only when defined,
   description, first_name, last_name, email) and its XML answer read with a plain XML parser;
   a reporter account's key (`gridmap users add`) is an api_key until the account is disabled;
   the POST's token gives its id back (`tokens/{token}`), and mySociety's
   `servicerequestupdates` lists the case's stage changes with FixMyStreet's statuses.
2. A server killed with SIGKILL 50 times during a burst of reports and transitions over RESP
   (each report with an idempotency key): after each restart every acknowledged report and
   action is in the log, each case's recorded stage is its last event's, event numbers run
   1..n without a gap, nothing is half-written (SQLite's integrity check), and resending an
   acknowledged report with its key makes no second case.
Prints 'N passed, N failed'.
"""
import json, os, random, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time
import xml.etree.ElementTree as ET

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import requests
from georeport import GeoReport

from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
work = tempfile.mkdtemp(prefix="gridmap-cases-")
store = os.path.join(work, "cases.gridmap")
check = Checks()
run(binary, "store", "import", "data/yufeng", "--store", store)
KEY = "reporter-key"
# A reporter's account for the Open311 client, made as an administrator makes it: its key is
# printed once (`name:secret`).
made = run(binary, "users", "add", "fms", "--role", "reporter", "--store", store).stdout
ACCOUNT_KEY = next(line.split(": ", 1)[1] for line in made.splitlines() if line.startswith("its Open311 api_key"))
POINTS = [(109.4200897, 24.3072275), (109.4335791, 24.2611188), (109.4310043, 24.2999956)]


def serve(port, http):
    env = dict(os.environ, GRIDMAP_REQUIREPASS=KEY, GRIDMAP_PLANNER_PASS="planner-secret")
    p = subprocess.Popen([binary, "serve", "--store", store, "--port", str(port), "--http-port", str(http)],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_port(port)
    wait_port(http)
    return p


# 1. Real clients.
port, http = free_port(), free_port()
server = serve(port, http)
root = f"http://127.0.0.1:{http}/open311/v2"
try:
    # As FixMyStreet's Open311 sender posts a report (perllib/Open311.pm: form fields).
    form = {"api_key": KEY, "service_code": "0101", "lat": "24.3072275", "long": "109.4200897",
            "description": "人行道上堆放生活垃圾", "first_name": "三", "last_name": "张",
            "email": "zhang@example.cn"}
    r = requests.post(f"{root}/requests.xml", data=form, timeout=60)
    check("FixMyStreet's POST is accepted", r.status_code == 201, (r.status_code, r.text[:300]))
    ack = ET.fromstring(r.content)
    made = ack.findtext("request/service_request_id")
    check("its XML answer names the new request", ack.tag == "service_requests" and made and made.isdigit(),
          r.text[:300])
    check("the notice says who takes it and by when", "办结" in (ack.findtext("request/service_notice") or ""))
    by_account = requests.post(f"{root}/requests.json", data=dict(form, api_key=ACCOUNT_KEY), timeout=60)
    check("a reporter account's key is an api_key", by_account.status_code == 201, by_account.text[:300])
    run(binary, "users", "disable", "fms", "--store", store)
    disabled = requests.post(f"{root}/requests.json", data=dict(form, api_key=ACCOUNT_KEY), timeout=60)
    check("a disabled account's key is refused at once", disabled.status_code == 403, disabled.text[:300])
    bad = requests.post(f"{root}/requests.xml", data=dict(form, api_key="wrong"), timeout=60)
    check("a bad api_key is the specification's 403 error list",
          bad.status_code == 403 and ET.fromstring(bad.content).findtext("error/code") == "403", bad.text[:200])

    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction="450203", api_key=KEY, output_format=fmt)
        # The reader password guards /open311 reads too: the client's session carries it.
        auth = requests.Session()
        auth.auth = ("default", KEY)
        original = requests.get
        requests.get = auth.get
        try:
            services = client.get_service_list()
            check(f"georeport ({fmt}) reads the 60 services", len(services) == 60, str(services)[:200])
            definition = client.get_service_definition("0101")
            check(f"georeport ({fmt}) reads a service definition", "0101" in str(definition), str(definition)[:200])
            asks = str(client.get_service_definition("0401"))
            check(f"georeport ({fmt}) reads a definition's attributes: a list with its values",
                  all(w in asks for w in ("state", "singlevaluelist", "missing", "缺失", "affects", "multivaluelist")),
                  asks[:300])
            found = client.get_service_requests(service_code="0101", status="open")
            # xmltodict, under georeport's XML, gives a lone <request> as a dict, not a list of one.
            found = [found] if isinstance(found, dict) else found
            ids = [str(x.get("service_request_id")) for x in found] if isinstance(found, list) else []
            check(f"georeport ({fmt}) finds the open request by its filters", made in ids, str(found)[:300])
            one = client.get_service_request(made)
            text = str(one)
            check(f"georeport ({fmt}) reads the request", made in text and "0101" in text, text[:300])
            check(f"georeport ({fmt}): no contact in a public answer", "zhang@example.cn" not in text)
        finally:
            requests.get = original

    # The POST's token names its request; mySociety's servicerequestupdates lists stage changes.
    token = ack.findtext("request/token")
    reader = ("default", KEY)
    t = requests.get(f"{root}/tokens/{token}.xml", auth=reader, timeout=60)
    check("GET tokens/{token} gives the request's id", t.status_code == 200
          and ET.fromstring(t.content).findtext("request/service_request_id") == made, t.text[:300])
    t = requests.get(f"{root}/tokens/gm-999999.json", auth=reader, timeout=60)
    check("an unknown token is the specification's 404", t.status_code == 404 and t.json()[0]["code"] == 404,
          t.text[:200])
    before = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600 - 2))
    planner = ("planner", "planner-secret")
    for action, body in (("accept", {}), ("dispatch", {"note": "已派城管中队"})):
        a = requests.post(f"http://127.0.0.1:{http}/api/cases/{made}/{action}", json=body, auth=planner, timeout=60)
        check(f"the case is {action}ed", a.status_code == 200, a.text[:300])
    u = requests.get(f"{root}/servicerequestupdates.xml", params={"start_date": before}, auth=reader, timeout=60)
    updates = [x for x in ET.fromstring(u.content).findall("request_update")
               if x.findtext("service_request_id") == made] if u.status_code == 200 else []
    check("servicerequestupdates lists its two stage changes in order",
          [(x.findtext("update_id"), x.findtext("status"), x.findtext("external_status_code")) for x in updates]
          == [(f"{made}_2", "investigating", "accepted"), (f"{made}_3", "action_scheduled", "dispatched")],
          u.text[:600])
    check("with the public note", updates and updates[-1].findtext("description") == "已派城管中队")
    metrics = requests.get(f"http://127.0.0.1:{http}/metrics", auth=reader, timeout=60).text
    gauges = {line.split()[0]: float(line.split()[1]) for line in metrics.splitlines()
              if line.startswith("gridmap_cases_")}
    check("/metrics counts the two open cases, none overdue",
          gauges == {"gridmap_cases_open": 2.0, "gridmap_cases_overdue": 0.0}, gauges)
    # The measures' cache holds both cases once a measures request has read them.
    s = requests.get(f"http://127.0.0.1:{http}/api/stats", auth=reader, timeout=60,
                     params={"by": "district", "from": "2020-01-01", "to": "2030-01-01"})
    held = [float(line.split()[1]) for line in requests.get(f"http://127.0.0.1:{http}/metrics", auth=reader,
                                                            timeout=60).text.splitlines()
            if line.startswith("gridmap_case_histories_held ")]
    check("/metrics counts the cases the measures hold", s.status_code == 200 and held == [2.0],
          (s.status_code, s.text[:200], held))
    u = requests.get(f"{root}/servicerequestupdates.json", auth=reader,
                     params={"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
                     timeout=60)
    check("a window over 90 days is the specification's 400", u.status_code == 400 and u.json()[0]["code"] == 400,
          u.text[:200])
finally:
    stop(server)


# 2. SIGKILL during a burst of reports and transitions.
acknowledged = {}  # key -> case id
acted = {}  # case id -> events acknowledged (the report is event 1)
keys_sent = []
refusals = []  # answers that were errors, not a dead server
lock = threading.Lock()
sent = 0


def burst(port, stop_at):
    global sent
    # No retries: redis-py 8 retries a refused connection with backoff for about 3 s, which
    # here is only the killed server's port.
    c = redis.Redis(port=port, username="planner", password="planner-secret", socket_timeout=60,
                    retry=Retry(NoBackoff(), 0))
    while time.monotonic() < stop_at:
        with lock:
            sent += 1
            n = sent
            key = f"burst-{n}"
            keys_sent.append(key)
        lon, lat = random.choice(POINTS)
        try:
            reply = c.execute_command("CASE", "REPORT", repr(lon), repr(lat), "0101", "KEY", key,
                                      "DESCRIPTION", f"第{n}件")
            case = json.loads(reply)
            with lock:
                acknowledged[key] = case["id"]
                acted[case["id"]] = 1
            c.execute_command("CASE", "ACT", str(case["id"]), "accept", "EXPECT", "1")
            with lock:
                acted[case["id"]] = 2
        except redis.ResponseError as e:
            with lock:
                refusals.append(str(e))
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return  # the server was killed: what it acknowledged must be kept


kills = 0
for round_ in range(50):
    port, http = free_port(), free_port()
    server = serve(port, http)
    stop_at = time.monotonic() + 60
    workers = [threading.Thread(target=burst, args=(port, stop_at)) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(random.uniform(0.05, 0.6))
    server.send_signal(signal.SIGKILL)
    server.wait()
    kills += 1
    for w in workers:
        w.join()
    db = sqlite3.connect(store)
    check(f"round {round_}: integrity", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    have = dict(db.execute("SELECT key, id FROM case_report WHERE key LIKE 'burst-%'").fetchall())
    lost = [k for k, i in acknowledged.items() if have.get(k) != i]
    check(f"round {round_}: every acknowledged report is kept", not lost, lost[:5])
    events = dict(db.execute("SELECT case_id, max(seq) FROM case_event GROUP BY case_id").fetchall())
    short = [i for i, n in acted.items() if events.get(i, 0) < n]
    check(f"round {round_}: every acknowledged action is kept", not short, short[:5])
    gaps = db.execute("""SELECT count(*) FROM (SELECT case_id, count(*) AS n, max(seq) AS m FROM case_event
                         GROUP BY case_id) WHERE n != m""").fetchone()[0]
    check(f"round {round_}: event numbers run without a gap", gaps == 0, gaps)
    stale = db.execute("""SELECT count(*) FROM case_state s WHERE s.last_seq !=
                          (SELECT max(seq) FROM case_event e WHERE e.case_id = s.case_id)""").fetchone()[0]
    orphans = db.execute("""SELECT count(*) FROM case_report r
                            WHERE NOT EXISTS (SELECT 1 FROM case_state s WHERE s.case_id = r.id)""").fetchone()[0]
    check(f"round {round_}: each case's stage is its last event's, and nothing half-written",
          stale == 0 and orphans == 0, (stale, orphans))
    db.close()
check("no refusals during the bursts (only a killed server ended them)", not refusals, refusals[:3])
check("reports were acknowledged in the bursts", len(acknowledged) >= 50, len(acknowledged))

# Resending reports with their keys makes no second case: the acknowledged ones answer their case,
# and those cut off by a kill (committed or not) end with exactly one case each.
port, http = free_port(), free_port()
server = serve(port, http)
try:
    c = redis.Redis(port=port, username="planner", password="planner-secret", socket_timeout=60)
    sample = random.sample(sorted(acknowledged.items()), min(20, len(acknowledged)))
    same = [(k, i) for k, i in sample
            if json.loads(c.execute_command("CASE", "REPORT", "109.4200897", "24.3072275", "0101", "KEY", k))["id"] != i]
    check("a resent report with its key answers the case it made", not same, same[:3])
    cut = [k for k in keys_sent if k not in acknowledged]
    for k in cut:
        c.execute_command("CASE", "REPORT", "109.4200897", "24.3072275", "0101", "KEY", k)
finally:
    stop(server)
db = sqlite3.connect(store)
total, distinct = db.execute("SELECT count(*), count(DISTINCT key) FROM case_report WHERE key LIKE 'burst-%'").fetchone()
db.close()
check("one case per key, whether its answer arrived or not", total == distinct == len(set(keys_sent)),
      (total, distinct, len(set(keys_sent))))
print(f"{kills} kills during bursts: {len(acknowledged)} reports and "
      f"{sum(n - 1 for n in acted.values())} actions acknowledged, all kept; {len(cut)} cut off, resent once")
subprocess.run(["rm", "-rf", work])
check.finish("cases from outside")
