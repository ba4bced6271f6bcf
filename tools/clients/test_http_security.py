"""The HTTP side and the store under attack, against real `gridmap serve` processes.

Usage: python3 tools/clients/test_http_security.py PATH/TO/gridmap
Every request goes over a real socket with the path exactly as written (http.client does not
normalise paths). Checks, each a defect once found on main:
- access: every route, spelt plainly and with `//`, `/./`, `/x/../`, `%2F`, `%61`-style escapes
  and a trailing slash, answers nobody, a reader and a planner exactly as the plain path does;
  failed sign-ins are throttled per client address (429 + Retry-After), on HTTP and RESP alike,
  while the right password from another address is not slowed;
- connection hygiene: a trickled header, a half-sent body, an idle keep-alive and a silent
  connection are closed after their timeouts; HTTP/1.0 without keep-alive is closed after its
  reply; 1,010 silent HTTP connections under RLIMIT_NOFILE 1024 do not keep out new HTTP and
  RESP clients; out of descriptors, the HTTP listener pauses (logged) instead of spinning;
  `gridmap_open_connections{protocol="http"}` counts connections;
- the store: removed, replaced or overwritten under a running server, a write fails as an
  internal error naming the file, is logged, `/readyz` says 503 with the reason, lookups go on;
  an import that validation rejects is refused unless --force (recorded in the message);
- the smaller ones: geodesic areas anywhere, 413 for every over-long body, Leaflet's files only
  by their true names from inside their directory, a read-only store named as such, an empty
  draft's impact, store paths hidden from readers.
Prints 'N passed, N failed'.
"""
import base64, http.client, json, math, os, resource, select, shutil, socket, subprocess, sys, tempfile, time

import redis

from harness import Checks, free_port, run, stop, wait_port

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap")
work = tempfile.mkdtemp(prefix="gridmap-security-")
os.chmod(work, 0o755)
check = Checks()
READER, PLANNER = "r-secret", "p-secret"
AUTH = {None: None, "reader": ("reader", READER), "planner": ("planner", PLANNER)}


def new_store(name="map.gridmap"):
    path = os.path.join(work, name)
    run(binary, "store", "import", "data/yufeng", "--store", path, "--author", "test")
    return path


class Server:
    """A `gridmap serve` with both passwords, its standard error kept in a file."""

    def __init__(self, store, *extra, nofile=None):
        self.port, self.http = free_port(), free_port()
        self.log_path = os.path.join(work, f"serve-{self.http}.log")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.process = subprocess.Popen(
            [binary, "serve", "--store", store, "--port", str(self.port), "--http-port", str(self.http),
             "--requirepass", READER, "--planner-pass", PLANNER, *extra],
            stderr=open(self.log_path, "w"), preexec_fn=limit)
        wait_port(self.http)
        # Ready within 120 s (a bound for a slow machine), else nothing after would mean much.
        deadline = time.monotonic() + 120
        while (ready := self.get("/readyz"))[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.http} was not ready within 120 s: {ready[:2]}")
            time.sleep(0.1)

    def get(self, path, who=None, method="GET", body=None, headers=None, source=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        h = dict(headers or {})
        if who:
            user, password = AUTH[who] if isinstance(who, str) else who
            h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data, dict(r.getheaders())

    def resp(self, user="planner", password=PLANNER):
        return redis.Redis(port=self.port, username=user, password=password, decode_responses=True,
                           socket_timeout=60)

    @property
    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        stop(self.process)


def raw(port, data, timeout=40, source=None):
    """Sends `data` on a new connection and reads until the server closes it (or `timeout` of
    silence: longer than any bound below, so that a connection never closed is told apart)."""
    s = socket.socket()
    if source:
        s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    out, started = b"", time.monotonic()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out, time.monotonic() - started, True
            out += chunk
    except socket.timeout:
        return out, time.monotonic() - started, False
    finally:
        s.close()


def status_of(response):
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def variants(path):
    """The spellings of a path that must reach the same route as the path itself."""
    base, _, query = path.partition("?")
    q = "?" + query if query else ""
    parts = base.strip("/").split("/")
    out = ["/" + base + q, base.replace("/", "//", 1) + q, "/." + base + q, "/zz/.." + base + q,
           base + "/" + q]
    if len(parts) > 1:
        out.append("/" + parts[0] + "%2F" + "/".join(parts[1:]) + q)
        out.append("/" + parts[0] + "%2f" + "%2F".join(parts[1:]) + q)
    letter = next((i for i, c in enumerate(base) if c.isalpha()), None)
    if letter is not None:
        out.append(base[:letter] + "%%%02X" % ord(base[letter]) + base[letter + 1:] + q)
    return [v for v in out if v != path]


store = new_store()
server = Server(store, "--http-request-timeout", "2", "--http-keepalive-timeout", "3")
try:
    # ---- 1. access, decided on the routed path --------------------------------------------
    planner = server.resp()
    draft = json.loads(planner.execute_command("PLAN", "OPEN", "security"))["draft"]
    grid = "450203001007002"
    routes = [
        ("GET", "/api/locate?lon=109.43&lat=24.3"), ("GET", "/api/nearby?lon=109.43&lat=24.3&kind=enforcement"),
        ("GET", "/api/geocode?q=%E9%B1%BC%E5%B3%B0"), ("GET", "/api/reverse?lon=109.43&lat=24.3"),
        ("GET", f"/api/grid/{grid}"), ("GET", "/api/grids"), ("GET", f"/api/neighbours/{grid}"),
        ("GET", "/api/versions"), ("GET", "/api/area?circle=109.43,24.3,200"), ("POST", "/api/area"),
        ("GET", "/api/layers/streets"), ("GET", "/api/plan/drafts"), ("GET", f"/api/plan/drafts/{draft}/impact"),
        ("GET", f"/api/plan/drafts/{draft}/validate"), ("GET", "/healthz"), ("GET", "/readyz"),
        ("GET", "/metrics"), ("GET", "/"), ("GET", "/map.js"), ("GET", "/plan"), ("GET", "/config.js"),
        ("GET", "/leaflet/leaflet.js"), ("GET", "/leaflet/images/layers.png"),
    ]
    polygon = "POLYGON((109.42 24.29, 109.44 24.29, 109.44 24.31, 109.42 24.31, 109.42 24.29))"
    expected = {None: 401, "reader": 200, "planner": 200}
    mismatches, walked = [], 0
    for method, path in routes:
        body = polygon if method == "POST" else None
        typed = {"Content-Type": "text/plain"} if body else None
        plain = {who: server.get(path, who, method, body, headers=typed)[0] for who in AUTH}
        needs = 2 if path.startswith("/api/plan") else 1 if path.startswith("/api") else 0
        want = {None: 401 if needs else 200, "reader": 403 if needs == 2 else 200, "planner": 200}
        if plain != want:
            mismatches.append((path, "plain", plain, want))
        for v in variants(path):
            for who in AUTH:
                walked += 1
                got = server.get(v, who, method, body, headers=typed)[0]
                if got != plain[who]:
                    mismatches.append((v, who, got, plain[who]))
    print(f"access: {len(routes)} routes, {walked} spellings × roles walked, {len(mismatches)} mismatches")
    check("every spelling of every route answers as its plain path, for nobody, reader and planner",
          not mismatches, mismatches[:8])
    for bad in ["/leaflet/leaflet.js%00.png", "/api/%zz", "/../api/versions", "/api/locate%0A"]:
        got = server.get(bad, "planner")[0]
        check(f"{bad} is refused with 400", got == 400, got)

    # Throttling: 127.0.0.3 guesses; 127.0.0.1 has the right password.
    statuses, retry = [], None
    for _ in range(7):
        s, _, h = server.get("/api/versions", ("reader", "wrong"), source="127.0.0.3")
        statuses.append(s)
        retry = h.get("Retry-After", retry)
    print(f"wrong passwords from 127.0.0.3: {statuses}, Retry-After {retry}")
    check("five wrong passwords are 401s, then 429 with Retry-After", statuses[:5] == [401] * 5
          and statuses[5:] == [429, 429] and retry is not None, statuses)
    check("a locked-out address is refused even with the right password",
          server.get("/api/versions", "reader", source="127.0.0.3")[0] == 429)
    # The throttle refuses (429), it never delays: a 200 is the answer not slowed. Its time is
    # printed only (a busy machine is not a fault).
    started = time.monotonic()
    ok = server.get("/api/versions", "reader")[0]
    elapsed = time.monotonic() - started
    print(f"the right password from 127.0.0.1 meanwhile: {ok} in {elapsed * 1000:.0f} ms")
    check("the right password from another address is answered, not locked out", ok == 200, (ok, elapsed))
    reply, _, _ = raw(server.port, b"*3\r\n$4\r\nAUTH\r\n$6\r\nreader\r\n$5\r\nwrong\r\n*1\r\n$4\r\nQUIT\r\n",
                      source="127.0.0.3")
    throttled_resp = reply.decode(errors="replace")
    check("RESP AUTH from the locked-out address is throttled too", "try again in" in throttled_resp,
          throttled_resp)

    # ---- 2. connection hygiene ----------------------------------------------------------
    # The server's timers here are 2 s (a request) and 3 s (keep-alive): each is checked not to
    # fire early, and to fire at all, within 20 s past it (a bound for a slow machine).
    s = socket.create_connection(("127.0.0.1", server.http))
    s.settimeout(10)
    started = time.monotonic()
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    trickled, answered = b"", None
    while time.monotonic() - started < 2 + 25:
        # Read as soon as the server answers: sending after its close would be reset.
        if select.select([s], [], [], 0.5)[0]:
            answered = time.monotonic() - started
            try:
                trickled = s.recv(200)
            except OSError:
                pass
            break
        s.sendall(b"X")
    s.close()
    check("a header trickled a byte at a time is answered 408 and closed after the request timeout",
          status_of(trickled) == 408 and answered is not None and answered < 2 + 20, (trickled[:40], answered))
    auth = base64.b64encode(f"reader:{READER}".encode())
    out, took, closed = raw(server.http, b"POST /api/area HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth
                            + b"\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nPOLY")
    check("a half-sent body is answered 408 and closed", status_of(out) == 408 and closed and took < 2 + 20,
          (out[:30], took))
    out, took, closed = raw(server.http, b"")
    check("a silent connection is closed after the keep-alive timeout", closed and 2 < took < 3 + 20, took)
    auth = base64.b64encode(f"reader:{READER}".encode())
    out, took, closed = raw(server.http, b"GET /api/locate?lon=109.43&lat=24.3 HTTP/1.1\r\nHost: x\r\n"
                            b"Authorization: Basic " + auth + b"\r\n\r\n")
    check("an idle keep-alive connection is closed after the keep-alive timeout",
          status_of(out) == 200 and closed and 2 < took < 3 + 20, took)
    # Closed after the reply, not by a timer: on a server whose timers are 60 s, within 30 s.
    patient = Server(store, "--http-request-timeout", "60", "--http-keepalive-timeout", "60")
    try:
        out, took, closed = raw(patient.http, b"GET /api/locate?lon=109.43&lat=24.3 HTTP/1.0\r\n"
                                b"Authorization: Basic " + auth + b"\r\n\r\n")
        check("HTTP/1.0 without keep-alive gets Connection: close and is closed after its reply",
              status_of(out) == 200 and b"connection: close" in out.lower() and closed and took < 30,
              (out[:80], took))
        for length in ["70000", str(2 ** 63 - 1), str(2 ** 63), str(2 ** 64 - 1)]:
            out, took, closed = raw(patient.http, b"POST /api/area HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                                    + auth + b"\r\nContent-Length: " + length.encode() + b"\r\n\r\n")
            check(f"Content-Length {length} is 413 at once and closed",
                  status_of(out) == 413 and closed and took < 30, (out[:30], took))
        idle = [socket.create_connection(("127.0.0.1", patient.http)) for _ in range(6)]
        # Counted once the server has taken them in (its 60 s timers keep them meanwhile): asked
        # until it says 7 (these and the asking one), for up to 60 s.
        deadline = time.monotonic() + 60
        while True:
            metrics = patient.get("/metrics")[1].decode()
            line = next((l for l in metrics.splitlines()
                         if l.startswith('gridmap_open_connections{protocol="http"}')), "")
            counted = float(line.split()[-1]) if line else -1
            if counted >= 7 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check("/metrics counts open HTTP connections, not requests", counted >= 7, line)
        for c in idle:
            c.close()
    finally:
        patient.stop()
    # Chunked and huge bodies.
    conn = socket.create_connection(("127.0.0.1", server.http))
    conn.settimeout(60)
    conn.sendall(b"POST /api/area HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth
                 + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(20):
            conn.sendall(b"1000\r\n" + b"a" * 4096 + b"\r\n")
    except OSError:
        pass
    chunked = conn.recv(200)
    conn.close()
    check("a chunked body over 64 KiB is 413", status_of(chunked) == 413, chunked[:40])

    # A request answered before its body (pipelined behind another): closed after the answer,
    # not left with no timer running.
    out, took, closed = raw(server.http, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n")
    check("a pipelined request answered before its body closes the connection",
          out.count(b"HTTP/1.1 200") == 2 and closed and took < 2 + 20, (out[-60:], took, closed))
    # A client that never reads what it asked for: closed after the keep-alive timeout.
    hog = socket.create_connection(("127.0.0.1", server.http))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.sendall(b"GET /leaflet/leaflet.js HTTP/1.1\r\nHost: x\r\n\r\n" * 60)
    started, port_hex = time.monotonic(), "%04X" % hog.getsockname()[1]
    # Its end of the connection established still? Looked at until it is not, for up to 60 s.
    while True:
        with open("/proc/net/tcp") as f:
            hog_open = any(l.split()[1].endswith(":" + port_hex) and l.split()[3] == "01"
                           for l in f.readlines()[1:])
        if not hog_open or time.monotonic() - started > 60:
            break
        time.sleep(0.2)
    print(f"a client that reads none of its answers: closed {time.monotonic() - started:.1f} s after its requests"
          if not hog_open else "a client that reads none of its answers: still open after 60 s")
    hog.close()
    check("a client that reads none of its answers is closed after the keep-alive timeout", not hog_open)
    # A huge spiky polygon is measured in bounded time.
    for span, what in [(179.0, "spanning the globe"), (1.0, "over the whole district")]:
        star = []
        for k in range(2000):
            a = 2 * math.pi * k / 2000
            r = (1.0, 0.01)[k % 2]
            star.append(f"{109.43 * (span < 100) + span * r * math.cos(a):.6f} "
                        f"{24.3 * (span < 100) + min(span, 89.0) * 0.5 * r * math.sin(a):.6f}")
        wkt = "POLYGON((" + ", ".join(star + [star[0]]) + "))"
        started = time.monotonic()
        code = server.get("/api/area", "reader", "POST", wkt, headers={"Content-Type": "text/plain"}, timeout=120)[0]
        took = time.monotonic() - started
        print(f"a 2,000-vertex star {what}: {code} in {took:.2f} s")
        # Bounded, not fast: the fault it guards against took minutes; a busy machine, seconds.
        check(f"a 2,000-vertex star {what} is answered in bounded time", code == 200 and took < 60, (code, took))
    code, body, _ = server.get("/api/locate?lon=109.43&lat=1e-99999", "reader")
    check("a number that underflows to zero is refused", code == 400, body[:100])
    code, _, _ = server.get("/healthz", method="HEAD")
    check("HEAD /healthz answers as GET does", code == 200, code)

    # ---- 5. the smaller ones -------------------------------------------------------------
    def ellipsoid_box(lon0, lat0, lon1, lat1):
        a, f = 6378137.0, 1 / 298.257223563
        e2 = f * (2 - f)
        e = math.sqrt(e2)
        b2 = (a * (1 - f)) ** 2

        def q(lat):
            s = math.sin(math.radians(lat))
            return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)
        return b2 / 2 * math.radians(lon1 - lon0) * (q(lat1) - q(lat0))
    for box in [(0, 0, 10, 10), (0, 0, 20, 20), (100, 60, 140, 80), (109.4, 24.2, 109.5, 24.3)]:
        code, body, _ = server.get("/api/area?box=" + ",".join(map(str, box)), "reader")
        got = json.loads(body).get("area_m2") if code == 200 else None
        want = ellipsoid_box(*box)
        check(f"box {box}: the area is the ellipsoid's", got is not None and abs(got / want - 1) < 1e-4,
              (code, body[:120], want))
    code, body, _ = server.get(f"/api/plan/drafts/{draft}/impact", "planner")
    check("an empty draft's impact is an empty report", code == 200 and json.loads(body).get("grids") == [],
          (code, body[:100]))
    code, body, headers = server.get("/leaflet//images", "planner")
    check("/leaflet//images is 404 and redirects nowhere", code == 404 and "Location" not in headers, (code, headers))
    code, _, headers = server.get("/leaflet/images/../leaflet.js")
    check("a file is served by its true name with its true type", code == 200
          and headers.get("Content-Type", "").startswith("text/javascript"), headers)
    fake = os.path.join(work, "leaflet")
    os.makedirs(fake)
    shutil.copy("/usr/share/javascript/leaflet/leaflet.js", fake)
    secret = os.path.join(work, "secret.js")
    with open(secret, "w") as f:
        f.write("the store's password is hunter2")
    os.symlink(secret, os.path.join(fake, "outside.js"))
    os.symlink("/etc", os.path.join(fake, "etc"))
    info = server.resp("default", READER).info()
    check("INFO does not show the store's path to a reader", store not in json.dumps(info), info.get("store"))
    code, body, _ = server.get("/api/locate?lon=109.43&lat=24.3&asof=99", "reader")
    check("an error to a reader names no store path", code == 404 and store.encode() not in body, body[:120])
finally:
    server.stop()

leafy = Server(store, "--leaflet", fake)
try:
    check("a symbolic link out of the static directory is not followed",
          leafy.get("/leaflet/outside.js")[0] == 404 and leafy.get("/leaflet/etc/passwd")[0] == 404)
    check("a file inside it is served", leafy.get("/leaflet/leaflet.js")[0] == 200)
finally:
    leafy.stop()

# ---- 2. fairness under the descriptor limit, and the listener's pause --------------------
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
# Keep-alive 300 s: the silent connections stay for the whole check, however long it takes.
crowded = Server(store, "--http-keepalive-timeout", "300", nofile=1024)
try:
    silent = []
    for _ in range(1010):
        try:
            silent.append(socket.create_connection(("127.0.0.1", crowded.http), timeout=2))
        except OSError:
            break
    time.sleep(1)
    started = time.monotonic()
    code = crowded.get("/api/locate?lon=109.43&lat=24.3", "reader")[0]
    http_took = time.monotonic() - started
    started = time.monotonic()
    located = crowded.resp("default", READER).execute_command("LOCATE", "109.43", "24.3")
    resp_took = time.monotonic() - started
    print(f"1,010 silent HTTP connections under RLIMIT_NOFILE 1024: a new HTTP client answered in "
          f"{http_took * 1000:.0f} ms, a new RESP client in {resp_took * 1000:.0f} ms")
    # Answered at all, within 30 s (a bound for a slow machine, well short of any timeout that
    # would free the silent connections' descriptors).
    check("silent HTTP connections do not keep out a new HTTP client", code == 200 and http_took < 30,
          (code, http_took))
    check("nor a new RESP client", "grid" in located and resp_took < 30, resp_took)
    for c in silent:
        c.close()
finally:
    crowded.stop()

# A header of credentials that nobody checked does not make a connection authenticated.
fake = Server(store, "--max-connections", "20")
try:
    squatters = []
    for _ in range(20):
        c = socket.create_connection(("127.0.0.1", fake.http), timeout=60)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n")
        c.recv(4096)
        squatters.append(c)
    code = fake.get("/api/locate?lon=109.43&lat=24.3", "reader")[0]
    located = fake.resp("default", READER).execute_command("LOCATE", "109.43", "24.3")
    check("connections with unchecked credentials do not keep out HTTP and RESP clients",
          code == 200 and "grid" in located, code)
    for c in squatters:
        c.close()
finally:
    fake.stop()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


probe = Server(store, nofile=256)
baseline = len(os.listdir(f"/proc/{probe.process.pid}/fd"))
probe.stop()
# Barely more descriptors than the server holds idle: accepting fails with EMFILE, which the
# connection limit (taken from the same limit) cannot prevent when descriptors go elsewhere.
starved = Server(store, "--max-connections", "10000", nofile=baseline + 4)
try:
    held = []
    for _ in range(60):
        try:
            held.append(socket.create_connection(("127.0.0.1", starved.http), timeout=1))
        except OSError:
            pass
    time.sleep(0.5)
    t0, c0 = time.monotonic(), cpu_seconds(starved.process.pid)
    time.sleep(3)
    share = (cpu_seconds(starved.process.pid) - c0) / (time.monotonic() - t0)
    print(f"out of descriptors (RLIMIT_NOFILE {baseline + 4}, 60 HTTP clients): server CPU {share * 100:.1f}%")
    check("the HTTP listener does not spin when out of descriptors", share < 0.2, share)
    # The connection limit is taken below the descriptor limit, so accepting fails only when
    # the burst's refused connections are not yet closed: then the pause is logged. Either
    # way the log says why clients are refused.
    check("and says why in the log", "cannot accept HTTP connections, pausing" in starved.log
          or "more than the descriptor limit allows" in starved.log, starved.log[-400:])
    print("  the HTTP listener paused for want of descriptors:", "cannot accept HTTP" in starved.log)
    for c in held:
        c.close()
    time.sleep(1.5)
    check("a new client is served once descriptors are free", starved.get("/healthz")[0] == 200)
finally:
    starved.stop()

# ---- 3. the store checked before a write is acknowledged ---------------------------------
for how in ["removed", "replaced", "overwritten"]:
    path = new_store(f"{how}.gridmap")
    s = Server(path)
    try:
        planner = s.resp()
        # A second version, so that a rollback has somewhere to go.
        d = json.loads(planner.execute_command("PLAN", "OPEN", "before"))["draft"]
        planner.execute_command("PLAN", "SET", d, "450203001007002", "households", "300")
        planner.execute_command("PLAN", "PUBLISH", d)
        if how == "removed":
            for suffix in ["", "-wal", "-shm"]:
                os.remove(path + suffix)
        elif how == "replaced":
            shutil.copy(path, path + ".copy")
            os.replace(path + ".copy", path)
        else:
            with open(path, "r+b") as f:
                f.write(b"garbage!" * 512)
        try:
            planner.execute_command("PLAN", "OPEN", "after the store went")
            reply = "acknowledged"
        except redis.ResponseError as e:
            reply = str(e)
        check(f"store {how}: a draft save fails as internal, naming the file",
              "internal error" in reply and path in reply, reply)
        try:
            planner.execute_command("ROLLBACK", "1")
            reply = "acknowledged"
        except redis.ResponseError as e:
            reply = str(e)
        check(f"store {how}: a rollback fails as internal", "internal error" in reply, reply)
        time.sleep(0.3)
        code, body, _ = s.get("/readyz")
        check(f"store {how}: /readyz is 503 with the reason", code == 503 and b"store_unusable" in body, body)
        check(f"store {how}: /healthz stays 200", s.get("/healthz")[0] == 200)
        code, body, _ = s.get("/api/versions", "reader")
        check(f"store {how}: a store request is never the client's fault", code in (200, 500), (code, body[:100]))
        check(f"store {how}: lookups go on from memory", s.get("/api/locate?lon=109.43&lat=24.3", "reader")[0] == 200
              and "grid" in planner.execute_command("LOCATE", "109.43", "24.3"))
        check(f"store {how}: the server says so in its log", "the store cannot be written" in s.log, s.log[-300:])
    finally:
        s.stop()

# ---- 4. import validates -----------------------------------------------------------------
path = new_store("import.gridmap")
edited = os.path.join(work, "edited")
run(binary, "store", "export", edited, "--store", path)
with open(os.path.join(edited, "grids.geojson")) as f:
    grids = json.load(f)
twin = json.loads(json.dumps(grids["features"][0]))
twin["id"] = twin["properties"]["id"] = twin["properties"]["id"][:-3] + "999"
twin["properties"]["name"] = "重复的网格"
grids["features"].append(twin)
with open(os.path.join(edited, "grids.geojson"), "w") as f:
    json.dump(grids, f, ensure_ascii=False)
refused = run(binary, "store", "import", edited, "--store", path, ok=False)


def versions_of(store_path):
    """The store's versions, newest first."""
    return json.loads(run(binary, "store", "versions", "--store", store_path).stdout)["versions"]


check("an import with a duplicated grid is refused with the findings",
      refused.returncode != 0 and "overlap" in refused.stderr and len(versions_of(path)) == 1,
      (refused.returncode, refused.stderr[-300:]))
forced = run(binary, "store", "import", edited, "--store", path, "--force", ok=False)
latest = versions_of(path)[0]
check("--force publishes it, and says so in the version's message",
      forced.returncode == 0 and latest["version"] == 2 and "--force" in latest["message"],
      (forced.stderr[-200:], latest.get("message")))

# ---- 5. a read-only store is named as read-only ------------------------------------------
readonly = new_store("readonly.gridmap")
os.chmod(readonly, 0o444)
# Run from the test's own directory (0755): the clone's may not be reachable by `nobody`
# (a `mktemp -d` folder is 0700), and that is not what this checks.
own_binary = os.path.join(work, "gridmap")
shutil.copy(binary, own_binary)
os.chmod(own_binary, 0o755)
attempt = subprocess.run(["runuser", "-u", "nobody", "--", own_binary, "plan", "open", "--name", "x",
                          "--store", readonly], capture_output=True, text=True)
check("a store gridmap may not write says read-only", attempt.returncode != 0 and "read-only" in attempt.stderr,
      attempt.stderr[-300:])

shutil.rmtree(work, ignore_errors=True)
check.finish("http security")
