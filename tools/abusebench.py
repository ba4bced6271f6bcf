"""Two healthy clients' latency (RESP and HTTP) while abusive clients run against the same `gridmap serve`.

Usage: python3 tools/abusebench.py [--binary PATH] [--seconds S] [--pattern NAME ...] [--soak] [--settle S]
                                   [--idle N]
Needs a release build (swift build -c release); only Python's standard library.

Without --soak, runs each abusive pattern in turn for S seconds (default 20) and prints both
healthy clients' p50/p99/max for it side by side, and for a quiet period first; under each
pattern, what its abuser saw (the server's answers, when it closed their connections). With
--soak, runs every pattern, RESP and HTTP (or those named), at once for S seconds (use 600 for
the 10-minute soak) and also prints the server's resident memory (all, anonymous, file-backed)
at the start; after healthy traffic of every kind (work off the event loops included) and
--settle seconds (default 100) idle: the baseline; at the end; and --settle seconds after the
abusers have left. With --idle N, opens N authenticated RESP connections that then stay idle,
and prints the server's resident memory per connection (and once they are closed).
--pattern takes a name below, or `resp` or `http` for all of that side's; it may be repeated.

The server runs as `gridmap serve` does by default (request timeout 10 s, keep-alive timeout
60 s), but on two loopback ports (RESP and HTTP, both 127.0.0.1), with a reader password (so
that unauthenticated connections can be abusive) and a planner password, 256 connections at
most (RESP and HTTP together) and RLIMIT_NOFILE 200 (so that clients holding connections reach
its limits: it clamps the 256 to what 200 descriptors allow, 168). Each client is a process
of its own: Python threads would share one interpreter lock, and a healthy client's latency
would then measure that lock. Both healthy clients connect and authenticate before the abuse
begins (so they are not the connections evicted at the limit), then ask one thing at a time,
the next 1 ms after each answer, timing each from send to answer (a reconnect, when the server
closed the connection, included):
  RESP  LOCATE 109.4300 24.3000 on one connection after AUTH;
  HTTP  GET /api/locate?lon=…&lat=… with Basic credentials (reader), a random point in the
        district each time, on one keep-alive connection.
Columns: requests, p50/p99/max in ms, reconnects, and failures (an error or no answer after 3 tries).

RESP patterns, each the defect it once was (see issue #16):
  nesting     INTERSECTS with GEOMETRYCOLLECTION( nested 30,000 deep (570 KB), repeatedly
  crs         LOCATE … CRS EPSG:<a new code each time>
  pipeline    1,500 LOCATE … CRS EPSG:<distinct codes> in one write, repeatedly
  polygon     INTERSECTS with a 20,000-vertex polygon, repeatedly (the limit is 10,000: refused)
  churn       a new connection per CRS request
  slowloris   50 connections each trickling one byte of an unfinished request per second
  lockout     connections that open and never authenticate, as many as are let in
  descriptors connections held open past the descriptor limit
HTTP patterns:
  http-slowloris   50 connections each trickling one byte of a request head every 3 s, never ending it
                   (the request timeout should drop each 10 s after its first byte)
  http-silent      connections that send nothing, as many as are let in (300 at most), reopened when closed
  http-idle        100 keep-alive connections that make one authenticated request, then stay idle
                   (closed after the keep-alive timeout), reopened when closed
  http-lockout     an unauthenticated GET /api/locate (401) on each of as many keep-alive connections as
                   are let in (300 at most), held open
  http-badauth     a flood of requests with a wrong password, from 127.0.0.2 (401s, then 429s)
  http-body        POST /api/area: a chunked body that never ends (fast, and a byte a second), a
                   Content-Length of 2^63 (then a body as fast as it goes), a 100 KB body (the limit is 64 KB)
  http-descriptors authenticated connections held open past the descriptor limit
  http10           HTTP/1.0 requests without keep-alive, one connection each, as fast as they go;
                   counts the sockets the server left open (not closed 2 s after its answer)
"""
import argparse, base64, collections, multiprocessing as mp, os, random, resource, select, socket, subprocess, \
    sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, stop, wait_port  # noqa: E402

PASSWORD = "healthy-secret"
PLANNER = "planner-secret"
LON, LAT = "109.4300", "24.3000"
HOST = "127.0.0.1"
# The bad-password abuser's address: the server throttles failed authentications per address, and
# the healthy clients (127.0.0.1) must not share the abuser's.
ELSEWHERE = "127.0.0.2"
ANSWERS = 5_000_000  # a healthy client's most requests: more than 600 s at 1 ms apart


def command(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def connect(port, auth=True, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if auth:
        s.sendall(command("AUTH", PASSWORD))
        s.recv(64)
    return s


def read_reply(s):
    """Reads one whole reply (enough for the replies used here: simple, error, integer, bulk)."""
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    if data[:1] == b"$":
        head, _, rest = data.partition(b"\r\n")
        n = int(head[1:])
        while n >= 0 and len(rest) < n + 2:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            rest += chunk
    return data


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


READER = basic("reader", PASSWORD)
WRONG = basic("reader", "not-" + PASSWORD)
LOCATE_PATH = f"/api/locate?lon={LON}&lat={LAT}"


def http_get(path, auth=READER, version="1.1"):
    return (f"GET {path} HTTP/{version}\r\nHost: {HOST}\r\n"
            + (f"Authorization: {auth}\r\n" if auth else "") + "\r\n").encode()


def random_locate(rng):
    """A point in the district, at full precision, so that no two requests are alike."""
    return f"/api/locate?lon={rng.uniform(109.40, 109.50)!r}&lat={rng.uniform(24.20, 24.35)!r}"


class HTTPConn:
    """One HTTP/1.1 connection whose responses are read whole: by Content-Length, chunked, or to
    the close. Raw sockets rather than http.client: the patterns send what no library would."""

    def __init__(self, port, timeout=30, source=None):
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _until(self, sep):
        for _ in range(1 << 16):  # at most 4 GB read looking for it
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            self._fill()
        raise ValueError("no end in sight")

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        """(status, headers with lower-case names, body)."""
        lines = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            for _ in range(1 << 20):
                n = int(self._until(b"\r\n").split(b";")[0], 16)
                if n == 0:
                    break
                parts.append(self._take(n))
                self._take(2)
            self._until(b"\r\n")  # no trailers: the empty line after the last chunk
            body = b"".join(parts)
        elif status in (204, 304) or status < 200:
            body = b""
        else:
            body = self.buf
            for _ in range(1 << 16):
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.buf = b""
        return status, headers, body

    def request(self, data):
        self.sock.sendall(data)
        return self.response()

    def close(self):
        self.sock.close()


def closes(headers):
    return headers.get("connection", "").lower() == "close"


def why(e):
    """A failure's name for the counts: "closed" for an EOF, else what the exception says."""
    if str(e) == "closed":
        return "closed"
    return {ConnectionResetError: "reset", BrokenPipeError: "broken pipe", ConnectionRefusedError: "refused",
            TimeoutError: "timeout"}.get(type(e), type(e).__name__)


class RESPHealthy:
    """The healthy RESP client: AUTH, then LOCATE at one point (as it always was)."""

    def __init__(self, port):
        self.port, self.sock = port, None
        self.request = command("LOCATE", LON, LAT)

    @property
    def connected(self):
        return self.sock is not None

    def open(self):
        self.sock = connect(self.port)  # AUTH: authenticated, so not a connection evicted at the limit

    def ask(self):
        self.sock.sendall(self.request)
        reply = read_reply(self.sock)
        return reply[:1] != b"-", reply[:60].decode("utf-8", "replace").strip()

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None


class HTTPHealthy:
    """The healthy HTTP client: GET /api/locate with the reader's credentials at a new point each
    time, on one keep-alive connection."""

    def __init__(self, port):
        self.port, self.conn = port, None
        self.rng = random.Random(16)  # the same points each run, so that runs compare

    @property
    def connected(self):
        return self.conn is not None

    def open(self):
        self.conn = HTTPConn(self.port)

    def ask(self):
        status, headers, _ = self.conn.request(http_get(random_locate(self.rng)))
        if closes(headers):  # answered, but the server will close it: the next request reconnects
            self.close()
        return status == 200, f"status {status}"

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def healthy(kind, port, ready, go, window, out):
    client = (RESPHealthy if kind == "resp" else HTTPHealthy)(port)
    client.open()
    client.ask()  # one authenticated request before the abuse: the server counts it authenticated
    ready.put(kind)
    go.wait(120)
    begin, deadline = window[0], window[1]
    time.sleep(max(0.0, begin - time.monotonic()))
    times, reconnects, failures, faults = [], 0, 0, collections.Counter()
    for _ in range(ANSWERS):
        if time.monotonic() >= deadline:
            break
        t = time.perf_counter()
        ok = answered = False
        for _ in range(3):  # bounded: a server that keeps dropping it is a failure, not a hang
            try:
                if not client.connected:
                    reconnects += 1
                    client.open()
                ok, what = client.ask()
                answered = True
                break
            except (OSError, ValueError) as e:
                faults[why(e)] += 1
                if not client.connected:  # it could not even connect: give the server a moment
                    time.sleep(0.05)
                client.close()
        times.append(time.perf_counter() - t)
        if not ok:
            failures += 1
            if answered:
                faults[f"answered {what}"] += 1
        time.sleep(0.001)
    out.put((kind, {"times": times, "reconnects": reconnects, "failures": failures, "faults": dict(faults)}))


def forever(deadline, body):
    """Runs `body` until the deadline, starting over whenever the server drops it."""
    while time.monotonic() < deadline:
        try:
            body()
        except (OSError, ConnectionError):
            time.sleep(0.05)


def intersects_again_and_again(port, deadline, wkt):
    def body():
        s = connect(port)
        while time.monotonic() < deadline:
            s.sendall(command("INTERSECTS", wkt))
            read_reply(s)
    forever(deadline, body)


def nesting(port, deadline):
    intersects_again_and_again(port, deadline, b"GEOMETRYCOLLECTION(" * 30000)


CODES = list(range(32601, 32661)) + list(range(32701, 32761)) + list(range(4491, 4555)) + list(range(2326, 2391))


def crs(port, deadline):
    def body():
        s = connect(port)
        k = 0
        while time.monotonic() < deadline:
            s.sendall(command("LOCATE", 500000, 2700000, "CRS", f"EPSG:{CODES[k % len(CODES)]}"))
            read_reply(s)
            k += 1
    forever(deadline, body)


def pipeline(port, deadline):
    batch = b"".join(command("LOCATE", 500000, 2700000, "CRS", f"EPSG:{CODES[k % len(CODES)]}") for k in range(1500))
    def body():
        s = connect(port)
        while time.monotonic() < deadline:
            s.sendall(batch)
            got = 0
            while got < 1500:  # count reply lines' first bytes loosely: each reply ends in \r\n
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed")
                got += chunk.count(b"\r\n{") + chunk.count(b"\r\n-") + chunk.startswith(b"$") + chunk.startswith(b"-")
    forever(deadline, body)


def polygon(port, deadline):
    import math
    n = 20000
    ring = ", ".join(f"{109.43 + 0.01 * math.cos(2 * math.pi * k / n):.7f} "
                     f"{24.3 + 0.01 * math.sin(2 * math.pi * k / n):.7f}"
                     for k in range(n))
    first = ring.split(", ")[0]
    intersects_again_and_again(port, deadline, f"POLYGON(({ring}, {first}))".encode())


def churn(port, deadline):
    k = 0
    def body():
        nonlocal k
        while time.monotonic() < deadline:
            s = connect(port)
            s.sendall(command("LOCATE", 500000, 2700000, "CRS", f"EPSG:{CODES[k % len(CODES)]}"))
            read_reply(s)
            s.close()
            k += 1
    forever(deadline, body)


def slowloris(port, deadline):
    socks = []
    partial = command("LOCATE", LON, LAT)
    while time.monotonic() < deadline:
        while len(socks) < 50:
            try:
                socks.append([connect(port, timeout=5), 0])
            except OSError:
                break
        for entry in list(socks):
            s, sent = entry
            try:
                s.sendall(partial[sent % (len(partial) - 1): sent % (len(partial) - 1) + 1])
                entry[1] += 1
            except OSError:
                socks.remove(entry)
        time.sleep(1)


def lockout(port, deadline):
    socks = []
    while time.monotonic() < deadline:
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            time.sleep(0.2)
        socks = [s for s in socks if not closed(s)]
        if len(socks) >= 300:
            time.sleep(0.2)


def closed(s):
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def descriptors(port, deadline):
    socks = []
    while time.monotonic() < deadline:
        try:
            s = connect(port, timeout=2)
            socks.append(s)
        except OSError:
            time.sleep(0.1)
        if len(socks) > 400:
            for s in socks[:100]:
                s.close()
            socks = socks[100:]


class Held:
    """The connections an abuser holds open, and what became of those the server closed: how long
    after they opened, and what it wrote first if it wrote anything (a 408, say) before closing."""

    def __init__(self):
        self.open = {}  # socket → when it was opened
        self.opened = self.most = 0
        self.ages = []
        self.wrote = collections.Counter()
        self.last_reap = 0.0

    def add(self, s, since):
        self.open[s] = since
        self.opened += 1
        self.most = max(self.most, len(self.open))

    def drop(self, s):
        self.ages.append(time.monotonic() - self.open.pop(s))
        s.close()

    def reap(self, every=0.1, only=None):
        """Forgets the connections the server has closed (of `only`, else all); at most every
        `every` seconds, since a pass reads each of up to 400 sockets."""
        if only is None and time.monotonic() - self.last_reap < every:
            return
        if only is None:
            self.last_reap = time.monotonic()
        for s in list(self.open) if only is None else only:
            gone, old = False, s.gettimeout()
            s.setblocking(False)
            try:
                for _ in range(64):
                    data = s.recv(65536)
                    if not data:
                        gone = True
                        break
                    self.wrote[data.split(b" ")[1].decode("latin-1") if data.startswith(b"HTTP/") else "bytes"] += 1
            except BlockingIOError:
                pass
            except OSError:  # reset
                gone = True
            if gone:
                self.drop(s)
            else:
                s.settimeout(old)

    def wait(self, seconds):
        """Sleeps `seconds`, noting each connection the server closes as it closes it: the ages
        are then the server's timeouts, not this loop's polling interval."""
        end = time.monotonic() + seconds
        for _ in range(10_000):
            left = end - time.monotonic()
            if left <= 0 or not self.open:
                break
            poller, socks = select.poll(), {s.fileno(): s for s in self.open}
            for fd in socks:
                poller.register(fd, select.POLLIN)
            ready = poller.poll(left * 1000)
            self.reap(only=[socks[fd] for fd, _ in ready])
        time.sleep(max(0.0, end - time.monotonic()))

    def report(self):
        text = f"{self.opened} opened, at most {self.most} open at once, {len(self.open)} at the end; "
        if not self.ages:
            return text + "the server closed none"
        a = sorted(self.ages)
        text += (f"the server closed {len(a)}, {a[0]:.1f}/{a[len(a) // 2]:.1f}/{a[-1]:.1f} s after they opened "
                 f"(min/median/max)")
        if self.wrote:
            text += ", having first written " + counts(self.wrote)
        return text


def counts(counter):
    return ", ".join(f"{k} ×{n}" for k, n in sorted(counter.items(), key=lambda kv: -kv[1]))


def http_slowloris(port, deadline):
    held, sent = Held(), {}
    # A request head that never ends: one header's value, a byte at a time, forever.
    head = f"GET {LOCATE_PATH} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {READER}\r\nX-Slow: ".encode()
    for _ in range(100_000):  # each pass sleeps 3 s
        if time.monotonic() >= deadline:
            break
        for _ in range(50 - len(held.open)):
            try:
                s = socket.create_connection((HOST, port), timeout=2)
            except OSError:
                break
            held.add(s, time.monotonic())
            sent[s] = 0
        for s in list(held.open):
            k = sent[s]
            try:
                s.sendall(head[k:k + 1] if k < len(head) else b"a")
                sent[s] = k + 1
            except OSError:
                held.drop(s)
        held.wait(min(3.0, max(0.0, deadline - time.monotonic())))
    return held.report()


def http_silent(port, deadline):
    held, refused = Held(), 0
    for _ in range(1_000_000):
        if time.monotonic() >= deadline:
            break
        if len(held.open) < 300:
            try:
                held.add(socket.create_connection((HOST, port), timeout=2), time.monotonic())
            except OSError:
                refused += 1
                held.wait(0.2)
        else:
            held.wait(0.2)
        held.reap()
    return held.report() + f"; {refused} connects failed"


def open_and_ask(port, request, timeout=2):
    """Opens a connection and makes one request on it: (socket, status), the socket still open."""
    c = HTTPConn(port, timeout=timeout)
    try:
        status, headers, _ = c.request(request)
    except (OSError, ValueError):
        c.close()
        raise
    return c.sock, status


def hold_answered(port, deadline, request, most):
    """Keeps up to `most` connections open, each after one request's answer (statuses counted)."""
    held, answers = Held(), collections.Counter()
    for _ in range(1_000_000):
        if time.monotonic() >= deadline:
            break
        if len(held.open) < most:
            t = time.monotonic()
            try:
                s, status = open_and_ask(port, request)
                answers[status] += 1
                held.add(s, t)
            except (OSError, ValueError) as e:
                answers[why(e)] += 1
                held.wait(0.2)
        else:
            held.wait(0.2)
        held.reap()
    return f"answers: {counts(answers)}; " + held.report()


def http_idle(port, deadline):
    # 100, not as many as are let in: they are authenticated, so the server cannot evict them to
    # admit others; what is measured is that they cost little and go at the keep-alive timeout.
    return hold_answered(port, deadline, http_get(LOCATE_PATH), 100)


def http_lockout(port, deadline):
    return hold_answered(port, deadline, http_get(LOCATE_PATH, auth=None), 300)


def http_badauth(port, deadline):
    answers, first, retry_after = collections.Counter(), [], []
    request, conn, connections = http_get(LOCATE_PATH, auth=WRONG), None, 0
    for _ in range(2_000_000):
        if time.monotonic() >= deadline:
            break
        try:
            if conn is None:
                conn = HTTPConn(port, timeout=5, source=ELSEWHERE)
                connections += 1
            status, headers, _ = conn.request(request)
        except (OSError, ValueError) as e:
            answers[why(e)] += 1
            if conn:
                conn.close()
            conn = None
            time.sleep(0.05)
            continue
        answers[status] += 1
        if len(first) < 10:
            first.append(status)
        if headers.get("retry-after", "").isdigit():
            retry_after.append(int(headers["retry-after"]))
        if closes(headers):
            conn.close()
            conn = None
    text = f"from {ELSEWHERE}: {counts(answers)}; the first: {' '.join(map(str, first))}; {connections} connections"
    if retry_after:
        text += f"; Retry-After {min(retry_after)}…{max(retry_after)} s (last {retry_after[-1]})"
    return text


BODIES = ("chunked", "chunked-slow", "length-2^63", "100KB")


def post_body(port, variant, deadline):
    """One POST /api/area with an abusive body; returns what the server did, e.g. "413, closed"."""
    c = HTTPConn(port, timeout=2)
    head = f"POST /api/area HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {READER}\r\nContent-Type: text/plain\r\n"
    if variant == "chunked":
        head, block, most, pause = head + "Transfer-Encoding: chunked\r\n\r\n", b"400\r\n" + b"a" * 1024 + b"\r\n", \
            16384, 0  # 16 MB at most: far past the 64 KB limit
    elif variant == "chunked-slow":
        head, block, most, pause = head + "Transfer-Encoding: chunked\r\n\r\n", b"1\r\na\r\n", 120, 1.0
    elif variant == "length-2^63":
        head, block, most, pause = head + f"Content-Length: {2 ** 63}\r\n\r\n", b"a" * 16384, 1024, 0
    else:
        head, block, most, pause = head + "Content-Length: 102400\r\n\r\n", b"a" * 102400, 1, 0
    try:
        c.sock.sendall(head.encode())
        for _ in range(most):
            if time.monotonic() >= deadline:
                c.close()
                return "unfinished at the end of the run"
            if select.select([c.sock], [], [], 0)[0]:
                break  # the server has answered or closed
            try:
                c.sock.sendall(block)
            except OSError:
                break  # it has stopped reading (a timeout) or closed: its answer, if any, is due
            time.sleep(pause)
        else:
            if variant != "100KB":
                c.close()
                return f"all {most} blocks taken without an answer"
        status, headers, _ = c.response()
    except (OSError, ValueError) as e:
        c.close()
        return f"{why(e)} without an answer"
    return f"{status}, " + after_answer(c)


def after_answer(c):
    """After an answer to an abusive request: did the server close the connection, or is it
    still in step (a next request answered as such)?"""
    try:
        c.sock.settimeout(1)
        if not c.buf and c.sock.recv(1) == b"":
            c.close()
            return "closed"
    except socket.timeout:
        pass
    except OSError as e:
        c.close()
        return why(e)
    try:
        c.sock.settimeout(2)
        status, _, _ = c.request(http_get("/healthz", auth=None))
        return f"kept open, a next request answered {status}"
    except (OSError, ValueError) as e:
        return f"kept open, a next request: {why(e)}"
    finally:
        c.close()


def http_body(port, deadline):
    # One thread per kind of body, so that the slow ones do not hold the fast ones up; the abuser
    # is one process, as every pattern is, and its threads contend only with each other.
    seen = {v: collections.Counter() for v in BODIES}
    took = {v: [] for v in BODIES}

    def keep_posting(variant):
        for _ in range(100_000):
            if time.monotonic() >= deadline:
                break
            t = time.monotonic()
            try:
                seen[variant][post_body(port, variant, deadline)] += 1
            except OSError as e:
                seen[variant][f"{why(e)} connecting"] += 1
                time.sleep(0.2)
            took[variant].append(time.monotonic() - t)

    threads = [threading.Thread(target=keep_posting, args=(v,), daemon=True) for v in BODIES]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 10)
    return "; ".join(f"{v}: {counts(seen[v])} (median {sorted(took[v])[len(took[v]) // 2]:.2f} s)"
                     for v in BODIES if took[v])


def http_descriptors(port, deadline):
    held, answers = Held(), collections.Counter()
    request = http_get(LOCATE_PATH)
    for _ in range(1_000_000):
        if time.monotonic() >= deadline:
            break
        t = time.monotonic()
        try:
            s, status = open_and_ask(port, request)
            answers[status] += 1
            held.add(s, t)
        except (OSError, ValueError) as e:
            answers[why(e)] += 1
            time.sleep(0.1)
        held.reap()
        if len(held.open) > 400:  # as the RESP pattern does: past the limit, then some back
            for s in list(held.open)[:100]:
                del held.open[s]
                s.close()
    return f"answers: {counts(answers)}; " + held.report()


def http10(port, deadline):
    """HTTP/1.0 without keep-alive: the server should answer `Connection: close` and close. Each
    socket gets 50 ms for that at once (timed), then waits among the pending for up to 2 s."""
    answers, marked, closed_after, pending = collections.Counter(), 0, [], {}
    left_open = late = 0
    request = http_get(LOCATE_PATH, version="1.0")

    def gone(s):
        try:
            return s.recv(1) == b""  # bytes after the answer would be wrong too: counted as open
        except BlockingIOError:
            return False
        except OSError:
            return True

    def check(grace):
        nonlocal left_open, late
        for s, t in list(pending.items()):
            if gone(s):
                late += 1
            elif time.monotonic() - t < grace:
                continue
            else:
                left_open += 1
            del pending[s]
            s.close()

    for _ in range(1_000_000):
        if time.monotonic() >= deadline:
            break
        c = None
        try:
            c = HTTPConn(port, timeout=5)
            status, headers, _ = c.request(request)
            t = time.monotonic()
            answers[status] += 1
            marked += closes(headers)
            c.sock.setblocking(False)
            if select.select([c.sock], [], [], 0.05)[0] and gone(c.sock):
                closed_after.append(time.monotonic() - t)
                c.close()
            else:
                pending[c.sock] = t
        except (OSError, ValueError) as e:
            answers[why(e)] += 1
            if c:
                c.close()
            time.sleep(0.05)
        check(grace=2)
    for _ in range(30):  # the last ones get their 2 s too
        if not pending:
            break
        time.sleep(0.1)
        check(grace=2)
    check(grace=0)
    n = sum(answers.values())
    a = sorted(closed_after)
    return (f"{n} requests: {counts(answers)}; {marked} answers said Connection: close; {len(a)} closed at once"
            + (f" (median {a[len(a) // 2] * 1000:.2f} ms, max {a[-1] * 1000:.1f} ms after the answer)" if a else "")
            + f", {late} within 2 s; {left_open} left open 2 s after the answer")


RESP_PATTERNS = {"nesting": nesting, "crs": crs, "pipeline": pipeline, "polygon": polygon, "churn": churn,
                 "slowloris": slowloris, "lockout": lockout, "descriptors": descriptors}
HTTP_PATTERNS = {"http-slowloris": http_slowloris, "http-silent": http_silent, "http-idle": http_idle,
                 "http-lockout": http_lockout, "http-badauth": http_badauth, "http-body": http_body,
                 "http-descriptors": http_descriptors, "http10": http10}
PATTERNS = {**RESP_PATTERNS, **HTTP_PATTERNS}


def abuse(name, ports, deadline, out):
    """Runs one pattern against its side's port, and reports what it saw (the HTTP patterns say)."""
    side = "http" if name in HTTP_PATTERNS else "resp"
    try:
        report = PATTERNS[name](ports[side], deadline)
    except Exception as e:  # noqa: BLE001 — an abuser that stopped early is itself worth reporting
        report = f"stopped early: {e!r}"
    out.put((name, report))


def rss_mib(pid):
    return memory(pid)["VmRSS"]


def memory(pid):
    """Resident memory in MiB: all (VmRSS), the process's own heap and stacks (RssAnon), and
    pages of files it maps (RssFile: code of the libraries it has run, which the kernel may
    drop and read again)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(line.split()[1]) / 1024
    return out


def describe(m):
    return f"{m['VmRSS']:.1f} MiB (anonymous {m['RssAnon']:.1f}, file-backed {m['RssFile']:.1f})"


def columns(result):
    """One healthy client's columns: requests, p50, p99, max (ms), reconnects, failures."""
    times = sorted(result["times"])
    if not times:
        return f"{'no answers':>45} {result['reconnects']:>6} {result['failures']:>5}"
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000  # noqa: E731
    return (f"{len(times):>8} {pick(0.5):8.3f} {pick(0.99):8.3f} {times[-1] * 1000:9.3f} "
            f"{result['reconnects']:>6} {result['failures']:>5}")


NAMES = f"{'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>9} {'reconn':>6} {'fail':>5}"
HEAD = f"{'':18} {'RESP: LOCATE':^49}  {'HTTP: GET /api/locate':^49}".rstrip() + f"\n{'':18} {NAMES}  {NAMES}"


def row(name, results):
    line = f"{name:18} {columns(results['resp'])}  {columns(results['http'])}"
    for kind in ("resp", "http"):
        if results[kind]["faults"]:
            line += f"\n{'':20}healthy {kind.upper()}: {counts(collections.Counter(results[kind]['faults']))}"
    for name, report in results["abusers"]:
        if report:
            line += f"\n{'':20}{name}: {report}"
    return line


def warm_up(port, http_port):
    s = connect(port)
    for request in [command("LOCATE", LON, LAT, "CRS", "gcj02"),
                    command("LOCATE", "36543000", "2690000", "CRS", "EPSG:4545"),
                    command("INTERSECTS", "CIRCLE", LON, LAT, "300"), command("GEOCODE", "洛岸街89号"),
                    command("NEIGHBORS", "450203001007002")] * 20:
        s.sendall(request)
        read_reply(s)
    s.close()
    # The HTTP side's kinds too: the page, the operator's endpoints, each API (one POSTs a body).
    c = HTTPConn(http_port)
    polygon = "POLYGON((109.43 24.30, 109.44 24.30, 109.44 24.31, 109.43 24.30))".encode()
    post = (f"POST /api/area HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {READER}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(polygon)}\r\n\r\n").encode() + polygon
    for request in [http_get(LOCATE_PATH + "&crs=gcj02"), http_get("/api/area?circle=109.43,24.30,300"), post,
                    http_get("/api/geocode?q=" + "".join(f"%{b:02X}" for b in "洛岸街89号".encode())),
                    http_get("/api/nearby?lon=109.43&lat=24.30"), http_get("/api/reverse?lon=109.43&lat=24.30"),
                    http_get("/api/neighbours/450203001007002"), http_get("/", auth=None),
                    http_get("/healthz", auth=None), http_get("/readyz", auth=None),
                    http_get("/metrics", auth=None)] * 20:
        _, headers, _ = c.request(request)
        if closes(headers):
            c.close()
            c = HTTPConn(http_port)
    c.close()


def run(ports, names, seconds):
    """Runs both healthy clients for `seconds` while the named patterns abuse the server; returns
    their results and the abusers' reports."""
    out, ready, go, window = mp.Queue(), mp.Queue(), mp.Event(), mp.Array("d", 2)
    probes = [mp.Process(target=healthy, args=(kind, ports[kind], ready, go, window, out))
              for kind in ("resp", "http")]
    for p in probes:
        p.start()
    for _ in probes:  # both connected and authenticated before the abuse starts
        ready.get(timeout=60)
    begin = time.monotonic() + 1 + min(2.0, seconds / 10)  # the abuse has begun by then
    deadline = begin + seconds
    window[0], window[1] = begin, deadline
    go.set()
    abusers = [mp.Process(target=abuse, args=(n, ports, deadline, out), daemon=True) for n in names]
    for p in abusers:
        p.start()
    results, reports = {}, {}
    for _ in range(len(probes) + len(abusers)):  # the healthy clients' answers, and the abusers' reports
        try:
            name, value = out.get(timeout=max(1.0, deadline - time.monotonic()) + 60)
        except Exception:  # noqa: BLE001 — queue.Empty: a client hung; what came in is still shown
            break
        (results if name in ("resp", "http") else reports)[name] = value
    for p in probes + abusers:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    for kind in ("resp", "http"):
        results.setdefault(kind, {"times": [], "reconnects": 0, "failures": 0, "faults": {"no result": 1}})
    results["abusers"] = [(n, reports.get(n, "no report (it hung, or was killed)" if n in HTTP_PATTERNS else None))
                          for n in names]
    return results


def expand(names):
    out = []
    for n in names:
        for m in (RESP_PATTERNS if n == "resp" else HTTP_PATTERNS if n == "http" else [n]):
            if m not in out:
                out.append(m)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/gridmap")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pattern", action="append", choices=sorted(PATTERNS) + ["resp", "http"])
    ap.add_argument("--soak", action="store_true")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--settle", type=float, default=100, help="seconds to wait after a soak before measuring RSS")
    args = ap.parse_args()
    port, http_port = free_port(), free_port()
    while http_port == port:
        http_port = free_port()
    ports = {"resp": port, "http": http_port}
    log = tempfile.NamedTemporaryFile(prefix="gridmap-abusebench-", suffix=".log", delete=False)

    files = args.idle + 200 if args.idle else 200
    cap = args.idle + 100 if args.idle else 256

    def limits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    server = subprocess.Popen([args.binary, "serve", "--host", HOST, "--port", str(port),
                               "--http-host", HOST, "--http-port", str(http_port),
                               "--requirepass", PASSWORD, "--planner-pass", PLANNER,
                               "--max-connections", str(cap)],
                              stderr=log, preexec_fn=limits)
    try:
        wait_port(port)
        wait_port(http_port)
        time.sleep(1)
        print(f"gridmap serve (RLIMIT_NOFILE {files}, --max-connections {cap}, reader and planner passwords); "
              f"healthy clients: one request at a time, 1 ms apart")
        if args.idle:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.idle + 200, args.idle + 200))
            warm = connect(port)
            warm.sendall(command("LOCATE", LON, LAT))
            read_reply(warm)
            time.sleep(1)
            before = rss_mib(server.pid)
            idle = [connect(port) for _ in range(args.idle)]
            time.sleep(2)
            during = rss_mib(server.pid)
            for c in idle:
                c.close()
            time.sleep(3)
            after = rss_mib(server.pid)
            print(f"{args.idle} idle authenticated connections: RSS {before:.1f} → {during:.1f} MiB, "
                  f"{(during - before) * 1024 / args.idle:.1f} KiB each; {after:.1f} MiB once they closed")
        elif args.soak:
            names = expand(args.pattern or sorted(PATTERNS))
            start = memory(server.pid)
            # The baseline: a server that has answered healthy traffic of every kind, the work
            # done off its event loops included (a CRS set up, an area query, a geocode), so
            # that its pool threads, their stacks and allocator arenas exist before the abuse.
            warm_up(port, http_port)
            run(ports, [], 10)
            # Measured as the end is: once idle caches have had the same time to be released.
            time.sleep(args.settle)
            baseline = memory(server.pid)
            results = run(ports, names, args.seconds)
            if server.poll() is not None:  # no memory to read: what the clients saw is the news
                print(f"the server exited ({server.returncode}) during the soak; its log: {log.name}")
                print(HEAD)
                print(row("soak", results))
                return
            end = memory(server.pid)
            # Idle native caches are released after a minute, freed pages handed back every 30 s.
            time.sleep(args.settle)
            after = memory(server.pid)
            which = "every pattern" if set(names) == set(PATTERNS) else ", ".join(names)
            print(f"soak, {which} at once for {args.seconds:.0f} s:")
            print(HEAD)
            print(row("soak", results))
            print(f"server memory at the start: {describe(start)}")
            print(f"after healthy traffic of every kind and {args.settle:.0f} s idle (the baseline): "
                  f"{describe(baseline)}")
            print(f"at the end of the abuse: {describe(end)}")
            print(f"{args.settle:.0f} s after the abusers left: {describe(after)}; anonymous memory "
                  f"{after['RssAnon'] - baseline['RssAnon']:+.1f} MiB against the baseline")
        else:
            print(HEAD)
            print(row("quiet", run(ports, [], args.seconds)), flush=True)
            for name in expand(args.pattern or sorted(PATTERNS)):
                print(row(name, run(ports, [name], args.seconds)), flush=True)
                if server.poll() is not None:  # the rest would only measure a server that is gone
                    print(f"the server exited ({server.returncode}) during {name}")
                    break
                time.sleep(2)
        alive = server.poll() is None
        print(f"server still running: {alive}; its log: {log.name}")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
