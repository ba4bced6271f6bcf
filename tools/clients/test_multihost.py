"""Servers on several hosts following one history in PostgreSQL.

Usage: python3 tools/clients/test_multihost.py PATH/TO/gridmap [--publishes N] [--servers N]
Needs GRIDMAP_TEST_POSTGRES (a scratch server, tools/pg.sh). Makes N hosts as Linux network
namespaces, each joined to this one by a veth pair, and runs a `gridmap serve` in each on the
same PostgreSQL store. Each host reaches the database through a relay on its link that adds
latency (LINK_DELAY_MS each way): tc netem is not available on every kernel (it is not on
this VM's), the relay is. A planner's server here publishes versions over RESP (PLAN OPEN,
SET, PUBLISH); for each, the time from the publish's acknowledgement to the first LOCATE
answered from the new version is measured on every host (LOCATE on random points, in a
loop per host). Prints p50/p99/max, checks INFO's follow fields, then the faults: the LISTEN
connection killed (pg_terminate_backend), one host's link cut for a while during publishes,
and PostgreSQL restarted (fast and immediate) — through the last two, a reporter on every
host sends CASE REPORTs and accepts each (立案): every acknowledged report and action must be in
the log afterwards, each report once, and a refusal while the database was away must be the
server's error, not the client's. Without network namespaces (no privilege) the hosts are
loopback addresses 127.0.0.k, and it says so.
"""
import asyncio, collections, csv, io, json, os, random, re, statistics, subprocess, sys, tempfile, threading, time

import redis

from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
args = sys.argv[2:]
publishes = int(args[args.index("--publishes") + 1]) if "--publishes" in args else 200
hosts = int(args[args.index("--servers") + 1]) if "--servers" in args else 3
LINK_DELAY_MS = 5
check = Checks()
server = os.environ.get("GRIDMAP_TEST_POSTGRES")
if not server:
    print("test_multihost: GRIDMAP_TEST_POSTGRES is not set (start one with tools/pg.sh)", file=sys.stderr)
    sys.exit(1)
pg_port = int(re.search(r"port=(\d+)", server).group(1))
database = f"gm_multihost_{os.getpid()}"
subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {database}"], check=True)
local = f"{server} dbname={database}"
run(binary, "store", "import", "data/yufeng", "--store", local, "--author", "test")
work = tempfile.mkdtemp(prefix="gridmap-multihost-")


# A relay per link, in this namespace: bytes from the host to PostgreSQL and back, each chunk
# released LINK_DELAY_MS after it arrived; `cut` drops the link (connections reset, new ones
# refused) until it is restored.
class Relay:
    def __init__(self, address, port):
        self.address, self.port, self.cut = address, port, False
        self.conns = set()

    async def pipe(self, reader, writer):
        queue = asyncio.Queue()

        async def release():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.cut:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()
        task = asyncio.ensure_future(release())
        try:
            while not self.cut:
                data = await reader.read(65536)
                if not data:
                    break
                queue.put_nowait((time.monotonic() + LINK_DELAY_MS / 1000, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0, None))
        await task

    async def handle(self, reader, writer):
        if self.cut:
            writer.close()
            return
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", pg_port)
        except OSError:
            writer.close()
            return
        self.conns.add(writer)
        await asyncio.gather(self.pipe(reader, up_w), self.pipe(up_r, writer), return_exceptions=True)
        self.conns.discard(writer)

    def disconnect(self):
        self.cut = True
        for w in list(self.conns):
            w.transport.abort()


loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()


def start_relay(relay):
    async def go():
        return await asyncio.start_server(relay.handle, relay.address, relay.port)
    asyncio.run_coroutine_threadsafe(go(), loop).result()


def server_info(c):
    """INFO's fields as text (redis-py parses INFO into a dict of numbers and strings)."""
    return {k: str(v) for k, v in c.info().items()}


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


# The hosts: network namespaces if this process may make them, else loopback addresses.
names = [f"gmh{os.getpid() % 10000}x{k}" for k in range(hosts)]
namespaces = sh("ip", "netns", "add", names[0]).returncode == 0
if namespaces:
    for k, name in enumerate(names):
        if k:
            sh("ip", "netns", "add", name)
        a, b = f"{name}a", f"{name}b"
        for cmd in (["ip", "link", "add", a, "type", "veth", "peer", "name", b], ["ip", "link", "set", b, "netns", name],
                    ["ip", "addr", "add", f"10.78.{k}.1/24", "dev", a], ["ip", "link", "set", a, "up"],
                    ["ip", "netns", "exec", name, "ip", "addr", "add", f"10.78.{k}.2/24", "dev", b],
                    ["ip", "netns", "exec", name, "ip", "link", "set", b, "up"],
                    ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]):
            r = sh(*cmd)
            if r.returncode:
                raise RuntimeError(f"{' '.join(cmd)}: {r.stderr}")
    print(f"{hosts} hosts: network namespaces {', '.join(names)} joined by veth pairs; relays add "
          f"{LINK_DELAY_MS} ms each way on every host's link to PostgreSQL (tc netem is not available here)")
    host_side = [f"10.78.{k}.1" for k in range(hosts)]
    host_address = [f"10.78.{k}.2" for k in range(hosts)]
else:
    print(f"{hosts} hosts: NO network namespaces here (no privilege): loopback addresses 127.0.0.{{2..}} "
          f"instead, relays adding {LINK_DELAY_MS} ms each way")
    host_side = [f"127.0.0.{k + 2}" for k in range(hosts)]
    host_address = host_side
relays = [Relay(host_side[k], free_port()) for k in range(hosts)]
for r in relays:
    start_relay(r)

processes = []
try:
    for k in range(hosts):
        store = f"host={host_side[k]} port={relays[k].port} user=postgres dbname={database}"
        cmd = [os.path.abspath(binary), "serve", "--host", host_address[k], "--port", "6379", "--http-port", "8080",
               "--http-host", host_address[k], "--planner-pass", "pl4n", "--store", store]
        if namespaces:
            cmd = ["ip", "netns", "exec", names[k]] + cmd
        processes.append(subprocess.Popen(cmd, stderr=open(os.path.join(work, f"server{k}.log"), "w")))
    planner_port = free_port()
    processes.append(subprocess.Popen([binary, "serve", "--port", str(planner_port), "--http-port", "0",
                                       "--planner-pass", "pl4n", "--store", local],
                                      stderr=open(os.path.join(work, "planner.log"), "w")))
    wait_port(planner_port)
    clients = []
    for k in range(hosts):
        deadline = time.monotonic() + 120
        while True:
            try:
                c = redis.Redis(host=host_address[k], port=6379, decode_responses=True, socket_timeout=10)
                c.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        clients.append(c)
    # Credentials given to the client, not sent once: it signs in again on every reconnect (a
    # connection silent for --idle-timeout, 300 s, is closed: the racers' phase can last longer).
    # redis-py 8 gives up on a reply after 5 s unless told (then sends the command again: a publish
    # twice). A bound for a slow machine instead.
    planner = redis.Redis(port=planner_port, decode_responses=True, username="planner", password="pl4n",
                          socket_timeout=120)

    # Each host's first answer from each version, by LOCATE on random points in a loop.
    first_seen = [dict() for _ in range(hosts)]
    backwards = [[] for _ in range(hosts)]  # a host that answered from an older version after a newer one
    running = True

    def follow(k):
        c = redis.Redis(host=host_address[k], port=6379, decode_responses=True, socket_timeout=10)
        last = 0
        while running:
            lon, lat = 109.40 + random.random() * 0.3, 24.21 + random.random() * 0.36
            try:
                v = int(json.loads(c.execute_command("LOCATE", f"{lon!r}", f"{lat!r}"))["data_version"])
            except (redis.RedisError, ValueError, KeyError):
                time.sleep(0.01)
                continue
            now = time.monotonic()
            if v < last:
                backwards[k].append((last, v))
            for w in range(last + 1, v + 1):
                first_seen[k].setdefault(w, now)
            last = max(last, v)
            # Paced: a millisecond is nothing beside the follow times measured (about 100 ms),
            # and unpaced the three loops took a whole core from the servers and PostgreSQL.
            time.sleep(0.001)
    followers = [threading.Thread(target=follow, args=(k,), daemon=True) for k in range(hosts)]
    for t in followers:
        t.start()

    grid = json.loads(planner.execute_command("LOCATE", "109.4310043995815", "24.29999569041801"))["grid"]["id"]
    acknowledged = {}

    def publish(n):
        draft = json.loads(planner.execute_command("PLAN", "OPEN", f"follow {n}"))["draft"]
        planner.execute_command("PLAN", "SET", draft, grid, "households", str(100 + n % 500 + (n // 500)))
        v = json.loads(planner.execute_command("PLAN", "PUBLISH", draft))["version"]
        acknowledged[v] = time.monotonic()
        return v

    def wait_all(v, seconds=120):
        """Whether every host has answered from version `v`, waiting up to `seconds` for it (a
        bound for a slow machine: how soon they do is measured and printed, not asserted)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not all(v in s for s in first_seen):
            time.sleep(0.002)
        return all(v in s for s in first_seen)

    time.sleep(0.5)
    for n in range(publishes):
        v = publish(n)
        followed = wait_all(v)
        check(f"every host serves version {v}", followed, [sorted(s)[-1:] for s in first_seen])
        if not followed:
            break  # a host that stopped following: not 120 s more for each version left
    delays = [first_seen[k][v] - t for v, t in acknowledged.items() for k in range(hosts) if v in first_seen[k]]
    delays.sort()
    worst = [max(first_seen[k][v] - t for v, t in acknowledged.items() if v in first_seen[k]) for k in range(hosts)]

    def q(p):
        return delays[min(len(delays) - 1, int(p * len(delays)))] * 1000
    print(f"publish → first answer from the new version, {len(acknowledged)} publishes × {hosts} hosts: "
          f"p50 {q(0.5):.0f} ms, p99 {q(0.99):.0f} ms, max {delays[-1] * 1000:.0f} ms "
          f"(per host max: {', '.join(f'{w * 1000:.0f}' for w in worst)} ms)")
    # A test asserts what is right or wrong: every host served every version, in order (above,
    # within the 120 s liveness bound of wait_all). The speed goal is reported, not asserted: a
    # busy machine is not a fault (the figure in docs/PERFORMANCE.md is from a quiet one).
    print(f"follow goal p99 ≤ 300 ms: {'met' if q(0.99) <= 300 else 'missed'} ({q(0.99):.0f} ms)")
    for k in range(hosts):
        check(f"host {k} served every version, never an older one after a newer",
              not backwards[k] and all(v in first_seen[k] for v in acknowledged), backwards[k][:5])
    head = max(acknowledged)
    for k, c in enumerate(clients):
        info = server_info(c)
        check(f"host {k}: INFO says it serves the head and is not behind",
              info.get("data_version") == str(head) and info.get("newest_version_seen") == str(head)
              and info.get("versions_behind") == "0" and info.get("version_hints") == "listening", info)

    # /metrics says the same, per server.
    import urllib.request
    for k in range(hosts):
        metrics = urllib.request.urlopen(f"http://{host_address[k]}:8080/metrics", timeout=60).read().decode()
        check(f"host {k}: /metrics has the follow gauges", f"gridmap_newest_version_seen {head}" in metrics
              and "gridmap_versions_behind 0" in metrics and "gridmap_behind_seconds" in metrics)

    # Concurrent planners on different hosts: four publishers, each through another host's
    # server, racing. Each version has one winner, the chain has no gap and no fork, a loser
    # is told both versions, and its draft is rebased when it publishes again.
    racers, per_racer = 4, int(os.environ.get("GRIDMAP_RACE_PUBLISHES", "100"))
    grids = [json.loads(planner.execute_command("LOCATE", f"{109.43 + 0.01 * r!r}", "24.31"))["grid"]["id"]
             for r in range(racers)]
    check("four racers edit four grids", len(set(grids)) == racers, grids)
    won = [[] for _ in range(racers)]
    stale = [[] for _ in range(racers)]
    errors = []

    def race(r):
        c = redis.Redis(host=host_address[r % hosts], port=6379, decode_responses=True, socket_timeout=120,
                        username="planner", password="pl4n")
        try:
            for n in range(per_racer):
                draft = json.loads(c.execute_command("PLAN", "OPEN", f"racer {r} #{n}"))["draft"]
                c.execute_command("PLAN", "SET", draft, grids[r], "population", str(1000 + r * 1000 + n))
                while True:
                    try:
                        won[r].append(json.loads(c.execute_command("PLAN", "PUBLISH", draft))["version"])
                        break
                    except redis.ResponseError as e:
                        if "stale_version" not in str(e):
                            raise
                        stale[r].append(str(e))
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            errors.append(f"racer {r}: {e}")
    t_race = time.monotonic()
    threads = [threading.Thread(target=race, args=(r,)) for r in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("no racer failed", not errors, errors[:3])
    all_won = sorted(v for w in won for v in w)
    check("each racer published all its drafts", all(len(w) == per_racer for w in won), [len(w) for w in won])
    check("no version was won twice, and none is missing", all_won == list(range(all_won[0], all_won[0] + len(all_won)))
          if all_won else False, all_won[:10])
    naming = [m for l in stale for m in l if re.search(r"expects to replace version \d+, but the current version is \d+", m)]
    check("every loser was told both versions", len(naming) == sum(len(l) for l in stale), [l[:1] for l in stale])
    print(f"{racers} publishers on {hosts} hosts, {per_racer} publishes each: {len(all_won)} versions in "
          f"{time.monotonic() - t_race:.1f} s, {sum(len(l) for l in stale)} stale publishes refused and rebased")
    chain = json.loads(run(binary, "store", "versions", "--store", local, "--limit", "1000").stdout)["versions"]
    check("the chain has no gap and no fork", [v["version"] for v in chain] == list(range(chain[0]["version"],
          chain[0]["version"] - len(chain), -1)) and all(v["parent"] == v["version"] - 1 for v in chain[:-1]))
    for v in all_won:
        acknowledged.setdefault(v, time.monotonic())

    # Faults. 1: only the LISTEN connections killed: the hosts notice within the safety poll.
    killed = subprocess.run(["psql", server, "-qAtc", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             f"WHERE datname = '{database}' AND query LIKE 'LISTEN%'"], check=True,
                            capture_output=True, text=True).stdout.strip()
    check("one LISTEN connection per server was killed", killed == str(hosts + 1), killed)
    v = publish(publishes)
    ok = wait_all(v)
    after = max(s.get(v, 9e9) for s in first_seen) - acknowledged[v]
    print(f"LISTEN connections killed: every host served the next version after {after:.2f} s "
          f"(goal: within the 1 s safety poll + margin, 1.5 s: {'met' if ok and after < 1.5 else 'missed'})")
    check("after the LISTEN connections are killed, all hosts follow", ok)

    # Cases in flight through the faults below: a reporter and a dispatcher on every host.
    case_acks, act_acks, case_failures = {}, [], []

    def cases(k):
        reporter = redis.Redis(host=host_address[k], port=6379, decode_responses=True, socket_timeout=60)
        dispatcher = redis.Redis(host=host_address[k], port=6379, decode_responses=True, socket_timeout=60,
                                 username="planner", password="pl4n")
        n = 0
        while running:
            n += 1
            key = f"multihost-{k}-{n}"
            try:
                made = json.loads(reporter.execute_command("CASE", "REPORT", "109.4310043995815",
                                                           "24.29999569041801", "0101", "KEY", key))
                case_acks[key] = made["id"]
                dispatcher.execute_command("CASE", "ACT", str(made["id"]), "accept")
                act_acks.append(key)
            except redis.RedisError as e:
                case_failures.append(str(e))
            time.sleep(0.05)
    reporters = [threading.Thread(target=cases, args=(k,), daemon=True) for k in range(hosts)]
    for t in reporters:
        t.start()

    # 2: one host's link cut while versions are published: it catches up without missing one.
    # Longer than every timer of the server's that a cut could trip (libpq's tcp_user_timeout,
    # 15 s; the keepalives, 11 s; the safety poll, 1 s), so the host meets each of them before
    # the link comes back. (It was 60 s; nothing in the server waits longer than 15 s.)
    cut_seconds = float(os.environ.get("GRIDMAP_CUT_SECONDS", "20"))
    relays[0].disconnect()
    t_cut = time.monotonic()
    during = []
    for n in range(50):
        while time.monotonic() - t_cut < n * cut_seconds / 50:
            time.sleep(0.01)
        during.append(publish(publishes + 1 + n))
    while time.monotonic() - t_cut < cut_seconds:
        time.sleep(0.05)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(during[-1] in first_seen[k] for k in range(1, hosts)):
        time.sleep(0.01)
    check("the other hosts followed all 50 meanwhile", all(all(v in first_seen[k] for v in during)
                                                          for k in range(1, hosts)))
    check("the cut host did not", during[-1] not in first_seen[0])
    answering = clients[0].execute_command("LOCATE", "109.4310043995815", "24.29999569041801")
    check("a host cut off from the database still answers from memory", "data_version" in answering)
    relays[0].cut = False
    t_back = time.monotonic()
    ok = wait_all(during[-1])
    print(f"link of host 0 cut for {cut_seconds:.0f} s during {len(during)} publishes: it served the head "
          f"{first_seen[0].get(during[-1], 9e9) - t_back:.2f} s after the link came back")
    check("the cut host catches up to the head", ok)
    info = server_info(clients[0])
    check("and INFO says it is current", info.get("versions_behind") == "0", info)

    # 3: PostgreSQL restarted, fast and immediate: every host reconnects and serves the head.
    data_dir = re.search(r"host=(\S+)", server).group(1)
    for mode in ("fast", "immediate"):
        r = sh("bash", "tools/pg.sh", "restart", data_dir, mode)
        check(f"pg_ctl restart -m {mode}", r.returncode == 0, r.stderr)
        t_restart = time.monotonic()
        # Publishes tried until one is accepted (the planner's server reconnects), for up to 120 s.
        v, attempt, refused = None, 0, []
        while v is None and time.monotonic() - t_restart < 120:
            attempt += 1
            try:
                v = publish(10_000 + attempt)
            except redis.RedisError as e:
                refused.append(str(e))
                time.sleep(0.1)
        check(f"after a {mode} restart a publish is accepted (within 120 s)", v is not None, refused[-3:])
        if v is None:
            continue
        ok = wait_all(v)
        print(f"PostgreSQL restarted (-m {mode}): first publish accepted {acknowledged[v] - t_restart:.2f} s after "
              f"the restart; every host served it {max(s.get(v, 9e9) for s in first_seen) - acknowledged[v]:.2f} s "
              "after that")
        check(f"after a {mode} restart all hosts serve the head", ok)
    running = False
    for t in reporters:
        t.join(timeout=120)
    rows = list(csv.DictReader(io.StringIO(run(binary, "cases", "export", "--store", local).stdout)))
    reported = collections.Counter(r["key"] for r in rows if r["action"] == "report")
    accepted = {r["key"] for r in rows if r["action"] == "accept"}
    print(f"cases through the link cut and the restarts: {len(case_acks)} reports and {len(act_acks)} actions "
          f"acknowledged on {hosts} hosts, {len(case_failures)} refused while a database was away")
    check("no acknowledged report is lost, and each is there once",
          case_acks and all(reported.get(k) == 1 for k in case_acks),
          [k for k in case_acks if reported.get(k) != 1][:5])
    check("no acknowledged action is lost", all(k in accepted for k in act_acks),
          [k for k in act_acks if k not in accepted][:5])
    client_codes = ("bad_", "unknown_", "not_allowed", "stale_case", "outside")
    check("refusals while a database was away were the server's, named as such",
          not [f for f in case_failures if any(c in f for c in client_codes)],
          sorted({f[:80] for f in case_failures})[:5])
    versions = json.loads(run(binary, "store", "versions", "--store", local, "--limit", "1").stdout)
    check("the chain is whole", run(binary, "store", "verify", "--store", local).returncode == 0
          and versions["current"] == max(acknowledged), versions.get("current"))
finally:
    running = False
    for p in processes:
        stop(p)
    if namespaces:
        for name in names:
            sh("ip", "link", "del", f"{name}a")
            sh("ip", "netns", "del", name)
    subprocess.run(["psql", server, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
check.finish("servers on several hosts")
