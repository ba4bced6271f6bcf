"""One healthy client's latency while abusive clients run against the same `gridmap serve`.

Usage: python3 tools/abusebench.py [--binary PATH] [--seconds S] [--pattern NAME ...] [--soak] [--idle N]
Needs a release build (swift build -c release) and redis-py (pip) for INFO.

Without --soak, runs each abusive pattern in turn for S seconds (default 20) and prints the
healthy client's p50/p99/max for it, and for a quiet period first. With --soak, runs every
pattern (or those named) at once for S seconds (use 600 for the 10-minute soak) and also prints
the server's resident memory (all, anonymous, file-backed) at the start; after healthy traffic
of every kind (work off the event loops included) and --settle seconds (default 100) idle: the
baseline; at the end; and --settle seconds after the abusers have left. With --idle N,
opens N authenticated connections that then stay idle, and prints the server's resident
memory per connection (and once they are closed).

The server runs as `gridmap serve` does by default, but with a reader password (so that
unauthenticated connections can be abusive), 256 connections at most and RLIMIT_NOFILE 200
(so that a client holding connections runs it out of descriptors). Each client is a process
of its own: Python threads would share one interpreter lock, and the healthy client's
latency would then measure that lock. The healthy client connects before the abuse begins
and sends one LOCATE at a time (the next 1 ms after each answer), timing each from send to
answer.

Patterns, each the defect it once was (see issue #16):
  nesting     INTERSECTS with GEOMETRYCOLLECTION( nested 30,000 deep (570 KB), repeatedly
  crs         LOCATE … CRS EPSG:<a new code each time>
  pipeline    1,500 LOCATE … CRS EPSG:<distinct codes> in one write, repeatedly
  polygon     INTERSECTS with a 20,000-vertex polygon, repeatedly (the limit is 10,000: refused)
  churn       a new connection per CRS request
  slowloris   50 connections each trickling one byte of an unfinished request per second
  lockout     connections that open and never authenticate, as many as are let in
  descriptors connections held open past the descriptor limit
"""
import argparse, multiprocessing as mp, os, resource, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, stop, wait_port  # noqa: E402

PASSWORD = "healthy-secret"
LON, LAT = "109.4300", "24.3000"


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


def healthy(port, begin, deadline, out):
    times = []
    s = connect(port)  # before the abuse starts: a client already being served
    request = command("LOCATE", LON, LAT)
    time.sleep(max(0.0, begin - time.monotonic()))
    while time.monotonic() < deadline:
        t = time.perf_counter()
        s.sendall(request)
        read_reply(s)
        times.append(time.perf_counter() - t)
        time.sleep(0.001)
    out.put(times)


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


PATTERNS = {"nesting": nesting, "crs": crs, "pipeline": pipeline, "polygon": polygon, "churn": churn,
            "slowloris": slowloris, "lockout": lockout, "descriptors": descriptors}


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


def summary(times):
    times = sorted(times)
    if not times:
        return "no answers"
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    return (f"{len(times):>7} LOCATEs   p50 {pick(0.5):7.3f} ms   p99 {pick(0.99):7.3f} ms   "
            f"max {times[-1] * 1000:8.3f} ms")


def warm_up(port):
    s = connect(port)
    for request in [command("LOCATE", LON, LAT, "CRS", "gcj02"), command("LOCATE", "36543000", "2690000", "CRS", "EPSG:4545"),
                    command("INTERSECTS", "CIRCLE", LON, LAT, "300"), command("GEOCODE", "洛岸街89号"),
                    command("NEIGHBORS", "450203001007002")] * 20:
        s.sendall(request)
        read_reply(s)
    s.close()


def run(port, names, seconds):
    out = mp.Queue()
    begin = time.monotonic() + 1 + min(2.0, seconds / 10)  # the abuse has begun by then
    deadline = begin + seconds
    probe = mp.Process(target=healthy, args=(port, begin, deadline, out))
    probe.start()
    time.sleep(1)
    abusers = [mp.Process(target=PATTERNS[n], args=(port, deadline), daemon=True) for n in names]
    for p in abusers:
        p.start()
    times = out.get()
    probe.join()
    for p in abusers:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/gridmap")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pattern", action="append", choices=sorted(PATTERNS))
    ap.add_argument("--soak", action="store_true")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--settle", type=float, default=100, help="seconds to wait after a soak before measuring RSS")
    args = ap.parse_args()
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="gridmap-abusebench-", suffix=".log", delete=False)

    files = args.idle + 200 if args.idle else 200

    def limits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    server = subprocess.Popen([args.binary, "serve", "--http-port", "0", "--port", str(port), "--requirepass", PASSWORD,
                               "--max-connections", str(args.idle + 100 if args.idle else 256)],
                              stderr=log, preexec_fn=limits)
    try:
        wait_port(port)
        time.sleep(1)
        print(f"gridmap serve (RLIMIT_NOFILE {files}, --max-connections {args.idle + 100 if args.idle else 256}, "
              f"a password); healthy client: one LOCATE at a time, 1 ms apart")
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
            names = args.pattern or sorted(PATTERNS)
            start = memory(server.pid)
            # The baseline: a server that has answered healthy traffic of every kind, the work
            # done off its event loops included (a CRS set up, an area query, a geocode), so
            # that its pool threads, their stacks and allocator arenas exist before the abuse.
            warm_up(port)
            run(port, [], 10)
            # Measured as the end is: once idle caches have had the same time to be released.
            time.sleep(args.settle)
            baseline = memory(server.pid)
            times = run(port, names, args.seconds)
            end = memory(server.pid)
            # Idle native caches are released after a minute, freed pages handed back every 30 s.
            time.sleep(args.settle)
            after = memory(server.pid)
            which = "every pattern" if names == sorted(PATTERNS) else ", ".join(names)
            print(f"soak, {which} at once for {args.seconds:.0f} s: {summary(times)}")
            print(f"server memory at the start: {describe(start)}")
            print(f"after healthy traffic of every kind and {args.settle:.0f} s idle (the baseline): "
                  f"{describe(baseline)}")
            print(f"at the end of the abuse: {describe(end)}")
            print(f"{args.settle:.0f} s after the abusers left: {describe(after)}; anonymous memory "
                  f"{after['RssAnon'] - baseline['RssAnon']:+.1f} MiB against the baseline")
        else:
            print(f"{'quiet':12} {summary(run(port, [], args.seconds))}")
            for name in args.pattern or sorted(PATTERNS):
                print(f"{name:12} {summary(run(port, [name], args.seconds))}", flush=True)
                time.sleep(2)
        alive = server.poll() is None
        print(f"server still running: {alive}; its log: {log.name}")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
