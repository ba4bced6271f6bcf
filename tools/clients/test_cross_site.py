"""Cross-site requests, HTTP sent to the RESP port, and the smaller findings of the same
attack, against real `gridmap serve` processes (and a real browser for the forged form).

Usage: python3 tools/clients/test_cross_site.py PATH/TO/gridmap
Checks:
- a state-changing request whose Origin (else Referer, else Sec-Fetch-Site) is another site's
  is refused with 403 `cross_site`, with and without passwords; `--allowed-origin` admits one;
  clients that send none of the three (curl, services) are served;
- bodies only as the type they are: text/plain, form and untyped bodies are refused with 415
  (POST /api/area, which documents WKT as text, excepted); nothing is opened or published;
- Host is checked where no password guards the server (421), loopback names served when bound
  to loopback, `--allowed-host` adds one; with passwords any Host is served;
- the pages' security headers (CSP with the tile server's origin, framing, sniffing, referrer);
- the RESP port closes a connection that sends HTTP, running nothing, and logs it;
- raw UTF-8 in a query string read as UTF-8 (the same answer as percent-encoded), other bytes
  refused naming the parameter;
- names with control or format characters refused (import, card edit, draft), a message with
  a NUL refused; geometry with trailing text, a foreign `crs` or a non-number refused with where;
- PostgreSQL (with GRIDMAP_TEST_POSTGRES's binaries, on a scratch server of this test's own):
  passwords from GRIDMAP_REQUIREPASS/GRIDMAP_PLANNER_PASS and PGPASSFILE, none on the command
  line; a password spelt `pass%77ord` or quoted with escapes never shown in INFO or the log;
  a database that goes away makes /readyz 503 and INFO store_writable:0, and back; a role
  that may not write says store_writable:0 from the start;
- a browser that holds the planner's credentials, on a page of another loopback origin that
  auto-submits forms to the planning API: nothing is opened or published.
Prints 'N passed, N failed'.
"""
import base64, http.client, http.server, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

import redis

from harness import Checks, free_port, run, stop, wait_port

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap")
work = tempfile.mkdtemp(prefix="gridmap-xsite-")
os.chmod(work, 0o755)
check = Checks()
READER, PLANNER = "r-secret", "p-secret"


def new_store(name="map.gridmap", data="data/yufeng"):
    path = os.path.join(work, name)
    run(binary, "store", "import", data, "--store", path, "--author", "test")
    return path


class Server:
    def __init__(self, store, *extra, passwords=True, env=None, wait_ready=True):
        self.port, self.http = free_port(), free_port()
        self.log_path = os.path.join(work, f"serve-{self.http}.log")
        args = [binary, "serve", "--port", str(self.port), "--http-port", str(self.http), *extra]
        if store:
            args += ["--store", store]
        if passwords:
            args += ["--requirepass", READER, "--planner-pass", PLANNER]
        self.process = subprocess.Popen(args, stderr=open(self.log_path, "w"), env=env)
        wait_port(self.http)
        # Ready within 120 s (a bound for a slow machine), else nothing after would mean much.
        deadline = time.monotonic() + 120
        while wait_ready and (ready := self.request("/readyz"))[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.http} was not ready within 120 s: {ready[:2]}")
            time.sleep(0.1)

    def request(self, path, method="GET", body=None, headers=None, who=None, host=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=20)
        h = dict(headers or {})
        if who:
            user, password = {"reader": ("reader", READER), "planner": ("planner", PLANNER)}[who]
            h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or f"127.0.0.1:{self.http}")
        for k, v in h.items():
            conn.putheader(k, v)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        r = conn.getresponse()
        out = r.read()
        conn.close()
        return r.status, out, {k.lower(): v for k, v in r.getheaders()}

    def resp(self, password=PLANNER):
        return redis.Redis(port=self.port, username="planner" if password else None, password=password,
                           decode_responses=True, socket_timeout=60)

    @property
    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        stop(self.process)


def code_of(body):
    try:
        return json.loads(body)["error"]["code"]
    except Exception:
        return None


def state(server, password=PLANNER):
    """The head version and the number of drafts (all of them): what a forgery would change."""
    r = server.resp(password)
    head = json.loads(r.execute_command("VERSIONS", "LIMIT", "1"))
    drafts = json.loads(r.execute_command("PLAN", "DRAFTS", "ALL"))["drafts"]
    return (head, len(drafts))


store = new_store()
guarded = Server(store)
own = f"http://127.0.0.1:{guarded.http}"
JSON = {"Content-Type": "application/json"}
try:
    before = state(guarded)
    # 1. Another site's forged requests, with the planner's credentials attached.
    forged = [
        ("Origin", {"Origin": "http://evil.example"}),
        ("Origin of another port", {"Origin": f"http://127.0.0.1:{guarded.http + 1}"}),
        ("Origin null", {"Origin": "null"}),
        ("Referer", {"Referer": "http://evil.example/page.html"}),
        ("Sec-Fetch-Site cross-site", {"Sec-Fetch-Site": "cross-site"}),
        ("Sec-Fetch-Site same-site", {"Sec-Fetch-Site": "same-site"}),
    ]
    for label, headers in forged:
        for path, body in [("/api/plan/versions/1/rollback", ""), ("/api/plan/drafts", '{"name":"evil"}')]:
            status, out, _ = guarded.request(path, "POST", body, {**headers, **JSON}, who="planner")
            check(f"a forged POST {path} ({label}) is refused with 403 cross_site",
                  status == 403 and code_of(out) == "cross_site", (status, out[:200]))
    status, out, _ = guarded.request("/api/plan/drafts", "POST", '{"name":"x"}',
                                     {"Origin": "http://evil.example", **JSON})
    check("a forged request is refused before credentials are asked", status == 403, status)
    square = "POLYGON((109.43 24.30, 109.44 24.30, 109.44 24.31, 109.43 24.30))"
    # 1b. Bodies only as what they are.
    for ctype, body in [("text/plain", '{"name":"evil","x":"=1"}'), ("application/x-www-form-urlencoded", "a=b"),
                        ("multipart/form-data; boundary=x", "--x--"), (None, '{"name":"evil"}')]:
        headers = {"Origin": own}
        if ctype:
            headers["Content-Type"] = ctype
        status, out, _ = guarded.request("/api/plan/drafts", "POST", body, headers, who="planner")
        check(f"a {ctype or 'untyped'} body is refused with 415", status == 415 and
              code_of(out) == "unsupported_media_type", (status, out[:200]))
    status, out, _ = guarded.request("/api/plan/versions/1/rollback", "POST", "", {
        "Origin": own, "Content-Type": "application/x-www-form-urlencoded"}, who="planner")
    check("an empty form to rollback is refused (415)", status == 415, status)
    check("nothing was opened or published by the refused requests", state(guarded) == before,
          (before, state(guarded)))
    # The page's own requests (same origin, JSON) and clients without Origin are served.
    status, out, _ = guarded.request("/api/plan/drafts", "POST", '{"name":"own"}', {"Origin": own, **JSON},
                                     who="planner")
    check("a same-origin JSON request is served", status == 200, (status, out[:200]))
    draft = json.loads(out)["draft"] if status == 200 else 0
    status, out, _ = guarded.request("/api/plan/drafts", "POST", '{"name":"curl"}', JSON, who="planner")
    check("a request with no Origin, Referer or Sec-Fetch-Site (curl) is served", status == 200, status)
    status, out, _ = guarded.request("/api/plan/drafts", "POST", '{"name":"same"}', {
        "Referer": own + "/plan", "Sec-Fetch-Site": "same-origin", **JSON}, who="planner")
    check("a same-origin Referer is served", status == 200, status)
    status, out, _ = guarded.request(f"/api/plan/drafts/{draft}/split", "POST", "", JSON, who="planner")
    check("an empty JSON body is no parameters, not an edit ('missing')", status == 400 and
          code_of(out) == "missing", (status, out[:200]))
    status, out, _ = guarded.request("/api/area", "POST", square,
                                     {"Origin": own, "Content-Type": "text/plain"}, who="reader")
    check("POST /api/area still reads WKT as text/plain (documented)", status == 200, (status, out[:200]))
    status, out, _ = guarded.request("/api/locate?lon=109.43&lat=24.30", who="reader",
                                     host="attacker.example")
    check("with passwords, any Host is served (the password guards it)", status == 200, status)
    # 5. Headers on the pages and every reply.
    for path in ["/", "/plan", "/map.js", "/healthz"]:
        status, _, headers = guarded.request(path)
        csp = headers.get("content-security-policy", "")
        check(f"{path}: CSP allows scripts and styles from the server only, no framing",
              "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
              and "unsafe-inline" not in csp, csp)
        check(f"{path}: X-Frame-Options, nosniff, Referrer-Policy",
              headers.get("x-frame-options") == "DENY" and headers.get("x-content-type-options") == "nosniff"
              and headers.get("referrer-policy") == "same-origin", headers)
    # 6. Names and messages with hidden characters; geometry that is not what it says.
    r = guarded.resp()
    for bad in ["a\x00b", "a\x01b", "a\u202eb", "a\u200bb"]:
        try:
            r.execute_command("PLAN", "OPEN", bad)
            check(f"PLAN OPEN {bad!r} is refused", False)
        except redis.ResponseError as e:
            check(f"PLAN OPEN {bad!r} is refused as bad_name", "bad_name" in str(e), e)
    grid = "450203001007002"
    for bad in ["网格\x01", "网格\u202e", "网格\x00尾"]:
        status, out, _ = guarded.request(f"/api/plan/drafts/{draft}/set", "POST", json.dumps(
            {"grid": grid, "field": "name", "value": bad}), {"Origin": own, **JSON}, who="planner")
        check(f"a grid named {bad!r} is refused", status == 400 and code_of(out) == "bad_value", (status, out[:200]))
    status, out, _ = guarded.request(f"/api/plan/drafts/{draft}/set", "POST", json.dumps(
        {"grid": grid, "field": "name", "value": "改名网格"}), {"Origin": own, **JSON}, who="planner")
    status, out, _ = guarded.request(f"/api/plan/drafts/{draft}/publish", "POST", json.dumps(
        {"message": "ok\x00hidden"}), {"Origin": own, **JSON}, who="planner")
    check("a message with a NUL is refused, not stored cut", status == 400 and code_of(out) == "bad_message",
          (status, out[:200]))
    square = "POLYGON((109.43 24.30, 109.44 24.30, 109.44 24.31, 109.43 24.30))"
    for body, ctype, needle in [
        (square + " , (1 2)", "text/plain", "at character"),
        (json.dumps({"type": "Polygon", "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
                     "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}), "application/json", "EPSG:3857"),
        (json.dumps({"type": "Polygon", "coordinates": [[[109.43, 24.3], [109.44, "x"], [109.44, 24.31],
                                                         [109.43, 24.3]]]}), "application/json",
         "coordinates[0][1][1]"),
    ]:
        status, out, _ = guarded.request("/api/area", "POST", body, {"Content-Type": ctype}, who="reader")
        check(f"geometry refused naming the problem ({needle})", status == 400 and needle in out.decode(),
              (status, out[:300]))
    bad_data = os.path.join(work, "bad-data")
    shutil.copytree("data/yufeng", bad_data)
    grids_path = os.path.join(bad_data, "grids.geojson")
    with open(grids_path, encoding="utf-8") as f:
        text = f.read()
    with open(grids_path, "w", encoding="utf-8") as f:
        f.write(text.replace("第二网格", "第二\\u0001网格", 1))
    refused = run(binary, "store", "import", bad_data, "--store", os.path.join(work, "bad.gridmap"), ok=False)
    check("a data directory with a control character in a name is refused, naming file and character",
          refused.returncode != 0 and "grids.geojson" in refused.stderr and "U+0001" in refused.stderr,
          refused.stderr[-300:])
finally:
    guarded.stop()

# 1c. --allowed-origin admits the origin it names, and only it.
allowed = Server(store, "--allowed-origin", "https://tools.example:8443")
try:
    status, out, _ = allowed.request("/api/plan/drafts", "POST", '{"name":"tools"}', {
        "Origin": "https://tools.example:8443", **JSON}, who="planner")
    check("--allowed-origin admits its origin", status == 200, (status, out[:200]))
    status, out, _ = allowed.request("/api/plan/drafts", "POST", '{"name":"tools"}', {
        "Origin": "https://tools.example", **JSON}, who="planner")
    check("--allowed-origin admits no other port", status == 403, status)
finally:
    allowed.stop()

# 2. Host checked where no password guards the server.
open_server = Server(store, "--allowed-host", "gridmap.lan", "--tiles", "https://{s}.tiles.lan/{z}/{x}/{y}.png",
                     passwords=False)
try:
    for host, expected in [("attacker.example", 421), ("attacker.example:%d" % open_server.http, 421),
                           ("127.0.0.2", 200), ("localhost:%d" % open_server.http, 200), ("[::1]", 200),
                           ("app.localhost", 200), ("gridmap.lan", 200), ("GridMap.LAN.", 200),
                           ("10.1.2.3", 421)]:
        for path in ["/api/locate?lon=109.43&lat=24.30", "/"]:
            status, out, _ = open_server.request(path, host=host)
            check(f"without passwords, Host {host} on {path} gets {expected}", status == expected,
                  (status, out[:200]))
    status, out, _ = open_server.request("/api/plan/versions/1/rollback", "POST", "",
                                         {"Origin": "http://evil.example", "Content-Type": "application/json"})
    check("without passwords, a forged rollback is refused (403)", status == 403, status)
    _, _, headers = open_server.request("/")
    check("the tile server's origin is among the CSP's image sources",
          "img-src 'self' data: blob: https://*.tiles.lan" in headers.get("content-security-policy", ""),
          headers.get("content-security-policy"))
    # UTF-8 as people type it: raw in the query string, answered as if percent-encoded; bytes
    # that are not UTF-8 refused with the JSON error naming the parameter.
    def raw_get(target):
        s = socket.create_connection(("127.0.0.1", open_server.http), timeout=20)
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body
    from urllib.parse import quote
    for path, name, text in [("/api/geocode", "q", "柳州市鱼峰区天马街道北宁社区"), ("/api/route", "address", "鱼峰区北宁社区"),
                             ("/api/grids", "street", "天马街道"), ("/api/nearby", "kind", "网格员"),
                             ("/open311/v2/services.json", "jurisdiction_id", "鱼峰区")]:
        extra = "&category=0201" if path == "/api/route" else "&lon=109.43&lat=24.30" if path == "/api/nearby" else ""
        raw = raw_get(f"{path}?{name}=".encode() + text.encode() + extra.encode())
        encoded = raw_get(f"{path}?{name}={quote(text)}{extra}".encode())
        check(f"raw UTF-8 in {path}?{name}= is read as UTF-8", raw == encoded, (raw[0], raw[1][:120], encoded[0]))
        status, body = raw_get(f"{path}?{name}=".encode() + "鱼峰".encode("gb18030") + extra.encode())
        check(f"GB18030 bytes in {path}?{name}= are refused naming the parameter", status == 400 and
              code_of(body) == "bad_encoding" and f"'{name}'".encode() in body, (status, body[:200]))
    # 3. HTTP to the RESP port: closed at once, nothing run, logged.
    before = state(open_server, None)
    for form in ["POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 60\r\n\r\n"
                 "PLAN OPEN evil\r\nROLLBACK 1 MESSAGE evil\r\n",
                 "PING\r\nHost: 127.0.0.1\r\n\r\nPLAN OPEN evil\r\n"]:
        s = socket.create_connection(("127.0.0.1", open_server.port), timeout=10)
        s.sendall(form.encode())
        received = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            received += chunk
        s.close()
        expected = b"+PONG\r\n" if form.startswith("PING") else b""
        check(f"HTTP on the RESP port ({form[:4]}…) is closed with nothing run", received == expected, received)
    check("nothing was opened or published through the RESP port", state(open_server, None) == before)
    check("the cross-protocol attempt is logged", "cross-protocol" in open_server.log, open_server.log[-500:])
finally:
    open_server.stop()


# PostgreSQL: passwords from the environment and a passfile, redaction, a database gone.
def postgres_checks():
    if not shutil.which("psql") or not os.environ.get("GRIDMAP_TEST_POSTGRES"):
        print("PostgreSQL checks skipped: no GRIDMAP_TEST_POSTGRES")
        return
    pg_dir, pg_port = os.path.join(work, "pg"), free_port()
    conn = subprocess.run(["bash", "tools/pg.sh", "start", pg_dir, str(pg_port)], capture_output=True, text=True,
                          check=True).stdout.strip()
    try:
        def psql(sql, db="postgres"):
            subprocess.run(["psql", conn + f" dbname={db}", "-qAtc", sql], check=True, capture_output=True)
        psql("CREATE ROLE gm_owner LOGIN PASSWORD 'db-s3cret'")
        psql("CREATE ROLE gm_reader LOGIN PASSWORD 'db-s3cret'")
        psql("CREATE DATABASE xsite OWNER gm_owner")
        # Password authentication for these roles (the scratch server trusts everyone else).
        with open(os.path.join(pg_dir, "pg_hba.conf")) as f:
            hba = f.read()
        with open(os.path.join(pg_dir, "pg_hba.conf"), "w") as f:
            f.write("host all gm_owner,gm_reader 127.0.0.1/32 scram-sha-256\n" + hba)
        psql("SELECT pg_reload_conf()")
        passfile = os.path.join(work, "pgpass")
        with open(passfile, "w") as f:
            f.write(f"127.0.0.1:{pg_port}:xsite:gm_owner:db-s3cret\n127.0.0.1:{pg_port}:xsite:gm_reader:db-s3cret\n")
        os.chmod(passfile, 0o600)
        url = f"postgresql://gm_owner@127.0.0.1:{pg_port}/xsite"
        env = dict(os.environ, PGPASSFILE=passfile)
        imported = subprocess.run([binary, "store", "import", "data/yufeng", "--store", url, "--author", "t"],
                                  env=env, capture_output=True, text=True)
        check("the store is made through PGPASSFILE", imported.returncode == 0, imported.stderr[-300:])
        no_passfile = subprocess.run([binary, "store", "versions", "--store", url], capture_output=True, text=True,
                                     env=dict(os.environ, PGPASSFILE=os.path.join(work, "none")))
        check("without the passfile the database refuses (the password is really needed)",
              no_passfile.returncode != 0, no_passfile.stdout[-200:])
        env.update(GRIDMAP_REQUIREPASS=READER, GRIDMAP_PLANNER_PASS=PLANNER, GRIDMAP_STORE=url)
        server = Server(None, passwords=False, env=env)
        try:
            with open(f"/proc/{server.process.pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            check("no password on the server's command line", all(p not in cmdline for p in
                                                                    (READER, PLANNER, "db-s3cret")), cmdline)
            status, _, _ = server.request("/api/locate?lon=109.43&lat=24.30")
            check("GRIDMAP_REQUIREPASS guards the API", status == 401, status)
            status, _, _ = server.request("/api/locate?lon=109.43&lat=24.30", who="reader")
            check("the reader's password from the environment works", status == 200, status)
            info = server.resp().info()
            check("INFO says the store is writable", info.get("store_writable") == 1, info.get("store_writable"))
            # The database goes away: lookups go on, /readyz and INFO say so; then it is back.
            subprocess.run(["bash", "tools/pg.sh", "stop", pg_dir], check=True)
            deadline, status = time.monotonic() + 120, 200
            while status == 200 and time.monotonic() < deadline:
                status, out, _ = server.request("/readyz")
                time.sleep(0.2)
            check("with the database gone /readyz says 503 with the reason", status == 503 and
                  b"cannot be reached" in out, (status, out[:300]))
            info = server.resp().info()
            check("with the database gone INFO says store_writable:0", info.get("store_writable") == 0)
            status, _, _ = server.request("/api/locate?lon=109.43&lat=24.30", who="reader")
            check("with the database gone lookups go on", status == 200, status)
            subprocess.run(["bash", "tools/pg.sh", "start", pg_dir, str(pg_port)], check=True, capture_output=True)
            deadline = time.monotonic() + 120
            while status != 200 and time.monotonic() < deadline:
                status, out, _ = server.request("/readyz")
                time.sleep(0.2)
            check("the database back, /readyz is 200 again", status == 200, (status, out[:300]))
        finally:
            server.stop()
        # A role that may read but not write: store_writable:0 from the start, and ready.
        psql("GRANT USAGE ON SCHEMA gridmap TO gm_reader; GRANT SELECT ON ALL TABLES IN SCHEMA gridmap TO gm_reader",
             db="xsite")
        reader_url = f"postgresql://gm_reader@127.0.0.1:{pg_port}/xsite"
        server = Server(reader_url, passwords=False, env=dict(os.environ, PGPASSFILE=passfile))
        try:
            info = server.resp(None).info()
            check("a role that may not write says store_writable:0 at start", info.get("store_writable") == 0,
                  info.get("store_writable"))
            check("…and is ready to serve lookups", server.request("/readyz")[0] == 200)
        finally:
            server.stop()
        # Passwords in the connection string, spelt as libpq allows: never shown.
        for spelling in [f"postgresql://gm_owner@127.0.0.1:{pg_port}/xsite?pass%77ord=db-s3cret",
                         f"host=127.0.0.1 port={pg_port} dbname=xsite user=gm_owner password='db-s3cret'"]:
            server = Server(spelling, passwords=False)
            try:
                info = server.resp(None).info()
                check(f"INFO shows no password ({spelling[:20]}…)", "s3cret" not in str(info) and
                      "password" in str(info) and "…" in str(info), info.get("store", info))
                check(f"the log shows no password ({spelling[:20]}…)", "s3cret" not in server.log)
            finally:
                server.stop()
    finally:
        subprocess.run(["bash", "tools/pg.sh", "stop", pg_dir])


postgres_checks()


def sign_in(page, url, user, password):
    """Loads `url`, answering its HTTP authentication prompt as a person would (DevTools' Fetch
    domain stands in for the dialog), until the page has loaded."""
    page.call("Fetch.enable", handleAuthRequests=True, patterns=[{"urlPattern": "*"}])
    ids = iter(range(10_000, 20_000))
    # Sent without waiting for its reply: that comes only once the paused requests go on.
    page.ws.send(json.dumps({"id": next(ids), "method": "Page.navigate", "params": {"url": url}}))
    # A loaded CI machine can take long to start Chromium's first page: the wait is generous, and
    # running out of it says so, rather than leaving the browser at a credentials prompt that a
    # later request would hang on.
    deadline, loaded = time.monotonic() + 180, False
    while time.monotonic() < deadline:
        message = json.loads(page.ws.recv())
        method, params = message.get("method"), message.get("params", {})
        if method == "Fetch.requestPaused":
            page.ws.send(json.dumps({"id": next(ids), "method": "Fetch.continueRequest",
                                     "params": {"requestId": params["requestId"]}}))
        elif method == "Fetch.authRequired":
            page.ws.send(json.dumps({"id": next(ids), "method": "Fetch.continueWithAuth", "params": {
                "requestId": params["requestId"], "authChallengeResponse": {
                    "response": "ProvideCredentials", "username": user, "password": password}}}))
        elif method == "Page.loadEventFired":
            loaded = True
            break
    if not loaded:
        raise RuntimeError(f"{url} did not finish loading within 180 s of answering its sign-in prompt")
    page.call("Fetch.disable")


# 7. A real browser: the planner signed in on /plan, then a page of another origin
#    auto-submits forms to the planning API.
def browser_checks():
    if not shutil.which("chromium"):
        print("browser checks skipped: no chromium")
        return
    from browser import Browser
    server = Server(store)
    evil_port, devtools = free_port(), free_port()
    target = f"http://127.0.0.1:{server.http}"
    page_html = f"""<!doctype html><body>
<form id=a method=POST action="{target}/api/plan/drafts" enctype="text/plain">
<input name='{{"name":"evil","x":"' value='"}}'></form>
<form id=b method=POST action="{target}/api/plan/versions/1/rollback" target=frame></form>
<form id=c method=POST action="{target}/api/plan/drafts" enctype="application/x-www-form-urlencoded"
 target=frame2><input name=name value=evil></form>
<form id=d method=GET action="{target}/api/plan/drafts" target=frame3></form>
<iframe name=frame></iframe><iframe name=frame2></iframe><iframe name=frame3></iframe>
<script>
// The last form (it takes the page away) is sent once the frames have each loaded their answer
// (or the browser's page for one it may not frame: another origin's either way), so that when
// its refusal shows, every forged request has been answered.
let answered = 0;
for (const f of document.querySelectorAll('iframe')) f.addEventListener('load', () => {{
  try {{ f.contentWindow.location.href; return; }} catch (e) {{}}  // still this page's blank frame
  if (++answered === 3) document.getElementById('a').submit();
}});
document.getElementById('b').submit(); document.getElementById('c').submit();
document.getElementById('d').submit();
</script></body>"""

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page_html.encode())

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", evil_port), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="gridmap-xsite-chromium-")
    browser = Browser(devtools, profile)
    try:
        before = state(server)
        page = browser.first_page()
        # The planner signs in once, answering the browser's prompt: the browser keeps the
        # credentials for the server's origin and sends them again unasked.
        sign_in(page, f"{target}/plan", "planner", PLANNER)
        signed_in = page.eval("fetch('/api/plan/drafts', {signal: AbortSignal.timeout(60000)})"
                              ".then(r => r.status, e => String(e))")
        check("the browser holds the planner's credentials", signed_in == 200, signed_in)
        page.navigate(f"http://127.0.0.1:{evil_port}/")
        # The page sends its last form once the frames' forms are answered (however long that
        # takes here): its refusal showing means the server has answered all four.
        try:
            landed = page.wait("document.body && document.body.innerText.includes('cross_site') "
                               "&& document.body.innerText", 120)
        except TimeoutError:
            landed = page.eval("document.body ? document.body.innerText : ''") or ""
        check("the text/plain form lands on a refusal", "cross_site" in landed, landed[:300])
        check("nothing was opened or published by another site's forms", state(server) == before,
              (before, state(server)))
        drafts_log = server.log
        check("the server stayed up", server.process.poll() is None, drafts_log[-300:])
    finally:
        browser.close()
        evil.shutdown()
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)


browser_checks()
shutil.rmtree(work, ignore_errors=True)
check.finish("cross-site")
