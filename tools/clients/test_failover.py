"""Failover: a PostgreSQL primary with a synchronous streaming standby, the primary killed
with SIGKILL during publishes, the standby promoted.

Usage: python3 tools/clients/test_failover.py PATH/TO/gridmap
Makes both servers in a scratch directory (tools/pg.sh, pg_basebackup), imports the bundled
data, starts two `gridmap serve` whose store is one multi-host connection string
(`host=…,… port=P1,P2 target_session_attrs=read-write`), runs LOCATE traffic on both and a
planner publishing through one of them, and on each server a reporter sending CASE REPORTs and
a dispatcher accepting each (立案), kills the primary, promotes the standby, and checks: no
acknowledged publish, report or action is lost, none is half-applied (`store verify`; each
report there once), the refusals while the database was away were the server's errors, not
the client's, lookups never failed, and prints the time from the kill to the first publish
accepted by the new primary and to every server serving the head.
"""
import collections, csv, io, json, os, random, subprocess, sys, tempfile, threading, time

import redis

from harness import Checks, free_port, run, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
check = Checks()
scratch = tempfile.mkdtemp(prefix="gridmap-failover-")
os.chmod(scratch, 0o755)
primary, standby = os.path.join(scratch, "primary"), os.path.join(scratch, "standby")
p1, p2 = free_port(), free_port()
bin_dir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
pg_bin = f"/usr/lib/postgresql/{bin_dir}/bin"


def as_owner(*cmd):
    cmd = list(cmd)
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True)


def must(r, what):
    if r.returncode:
        raise RuntimeError(f"{what}: {r.stderr}")
    return r.stdout


must(subprocess.run(["bash", "tools/pg.sh", "start", primary, str(p1)], capture_output=True, text=True),
     "primary")
with open(os.path.join(primary, "postgresql.conf"), "a") as f:
    f.write("synchronous_standby_names = 'standby1'\nsynchronous_commit = on\n")
must(as_owner(f"{pg_bin}/pg_ctl", "-D", primary, "-w", "reload"), "reload")
os.makedirs(standby, mode=0o700)
if os.getuid() == 0:
    subprocess.run(["chown", "postgres", standby], check=True)
must(as_owner(f"{pg_bin}/pg_basebackup", "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres", "-D", standby,
              "-R", "-X", "stream"), "pg_basebackup")
with open(os.path.join(standby, "postgresql.conf"), "a") as f:
    # Promoted, it runs alone until a new standby joins: it must not wait for a synchronous
    # standby that is gone (it would block every commit; docs/DEPLOY.md).
    f.write(f"port = {p2}\nunix_socket_directories = '{standby}'\nsynchronous_standby_names = ''\n")
with open(os.path.join(standby, "postgresql.auto.conf"), "a") as f:
    f.write(f"primary_conninfo = 'host=127.0.0.1 port={p1} user=postgres application_name=standby1'\n")
must(as_owner(f"{pg_bin}/pg_ctl", "-D", standby, "-l", os.path.join(standby, "server.log"), "-w", "start"),
     "standby")
admin1 = f"host=127.0.0.1 port={p1} user=postgres dbname=postgres"
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    r = subprocess.run(["psql", admin1, "-qAtc", "SELECT sync_state FROM pg_stat_replication"],
                       capture_output=True, text=True)
    if r.stdout.strip() == "sync":
        break
    time.sleep(0.2)
check("the standby replicates synchronously", r.stdout.strip() == "sync", r.stdout)
subprocess.run(["psql", admin1, "-qc", "CREATE DATABASE gridmap"], check=True)
store = (f"host=127.0.0.1,127.0.0.1 port={p1},{p2} user=postgres dbname=gridmap "
         "target_session_attrs=read-write connect_timeout=2")
run(binary, "store", "import", "data/yufeng", "--store", store, "--author", "test")

ports = [free_port(), free_port()]
servers = [subprocess.Popen([binary, "serve", "--port", str(p), "--http-port", "0", "--planner-pass", "pl4n",
                             "--store", store], stderr=open(os.path.join(scratch, f"server{k}.log"), "w"))
           for k, p in enumerate(ports)]
running = True
lookups, lookup_failures = [0, 0], [[], []]
served = [0, 0]
served_at = [dict(), dict()]
try:
    for p in ports:
        wait_port(p)

    def traffic(k):
        # A lookup slower than this is a failure: a bound for a slow machine, not a speed.
        c = redis.Redis(port=ports[k], decode_responses=True, socket_timeout=60)
        while running:
            lon, lat = 109.40 + random.random() * 0.3, 24.21 + random.random() * 0.36
            try:
                v = int(json.loads(c.execute_command("LOCATE", f"{lon!r}", f"{lat!r}"))["data_version"])
                lookups[k] += 1
                if v > served[k]:
                    for w in range(served[k] + 1, v + 1):
                        served_at[k].setdefault(w, time.monotonic())
                    served[k] = v
            except Exception as e:  # noqa: BLE001 - counted
                lookup_failures[k].append(str(e))
                time.sleep(0.01)
    case_acks, act_acks, case_failures = {}, [], []

    def cases(k):
        # Reports and actions in flight through the failover: what is acknowledged must be kept.
        reporter = redis.Redis(port=ports[k], decode_responses=True, socket_timeout=60)
        dispatcher = redis.Redis(port=ports[k], decode_responses=True, socket_timeout=60, username="planner",
                                 password="pl4n")
        n = 0
        while running:
            n += 1
            key = f"failover-{k}-{n}"
            try:
                made = json.loads(reporter.execute_command("CASE", "REPORT", "109.4200897", "24.3072275", "0101",
                                                           "KEY", key))
                case_acks[key] = (made["id"], time.monotonic())
                dispatcher.execute_command("CASE", "ACT", str(made["id"]), "accept")
                act_acks.append(made["id"])
            except redis.RedisError as e:
                case_failures.append(str(e))
                time.sleep(0.05)
    threads = [threading.Thread(target=traffic, args=(k,), daemon=True) for k in range(2)]
    threads += [threading.Thread(target=cases, args=(k,), daemon=True) for k in range(2)]
    for t in threads:
        t.start()

    planner = redis.Redis(port=ports[0], decode_responses=True, socket_timeout=30, username="planner",
                          password="pl4n")
    grid = json.loads(planner.execute_command("LOCATE", "109.4310043995815", "24.29999569041801"))["grid"]["id"]
    acknowledged, failed = {}, []

    def publish(n):
        draft = json.loads(planner.execute_command("PLAN", "OPEN", f"failover {n}"))["draft"]
        planner.execute_command("PLAN", "SET", draft, grid, "households", str(300 + n))
        record = json.loads(planner.execute_command("PLAN", "PUBLISH", draft, "MESSAGE", f"ack {n}"))
        acknowledged[record["version"]] = (f"ack {n}", time.monotonic())

    killed_at = None

    def killer():
        global killed_at
        time.sleep(3)
        with open(os.path.join(primary, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, 9)
        killed_at = time.monotonic()
        time.sleep(1)  # the operator (or the cluster manager) notices, then promotes
        must(as_owner(f"{pg_bin}/pg_ctl", "-D", standby, "-w", "promote"), "promote")
    threading.Thread(target=killer).start()
    n, first_after = 0, None
    # Publishing until five are accepted by the new primary; given up 180 s after the kill (or
    # 180 s from now, should the killer never kill).
    t_start = time.monotonic()
    while time.monotonic() - (killed_at or t_start) < 180:
        n += 1
        try:
            publish(n)
            if killed_at and first_after is None:
                first_after = time.monotonic()
            if first_after and len([v for v, (_, t) in acknowledged.items() if t > first_after]) >= 5:
                break
        except redis.RedisError as e:
            failed.append(str(e))
            time.sleep(0.1)
    check("the primary was killed", killed_at is not None)
    check("a publish was accepted by the new primary", first_after is not None, failed[-3:])
    if first_after is None:
        raise RuntimeError("no publish after the failover: " + "; ".join(failed[-3:]))
    head = max(acknowledged)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(head in s for s in served_at):
        time.sleep(0.01)
    first_version = min(v for v, (_, t) in acknowledged.items() if t >= first_after)
    all_served = max(s.get(first_version, 9e9) for s in served_at)
    print(f"primary killed during publishes ({len(acknowledged)} acknowledged, {len(failed)} refused while it "
          f"was down): first publish accepted by the promoted standby {first_after - killed_at:.2f} s after the "
          f"kill; every server served that version {all_served - killed_at:.2f} s after the kill")
    check("every server serves the head", all(head in s for s in served_at))
    running = False
    versions = json.loads(run(binary, "store", "versions", "--store", store, "--limit", "1000").stdout)["versions"]
    by_id = {v["version"]: v["message"] for v in versions}
    lost = [(v, m) for v, (m, _) in acknowledged.items() if by_id.get(v) != m]
    check("no acknowledged publish is lost", not lost, lost[:5])
    check("none is half-applied: the store verifies", run(binary, "store", "verify", "--store", store,
                                                           ok=False).returncode == 0)
    rows = list(csv.DictReader(io.StringIO(run(binary, "cases", "export", "--store", store).stdout)))
    reported = collections.Counter(r["key"] for r in rows if r["action"] == "report")
    accepted = {r["key"] for r in rows if r["action"] == "accept"}
    key_of = {case: key for key, (case, _) in case_acks.items()}
    print(f"cases during the failover: {len(case_acks)} reports and {len(act_acks)} actions acknowledged, "
          f"{len(case_failures)} refused while the database was away")
    check("no acknowledged report is lost, and each is there once",
          case_acks and all(reported.get(k) == 1 for k in case_acks),
          [k for k in case_acks if reported.get(k) != 1][:5])
    check("no acknowledged action is lost", all(key_of[c] in accepted for c in act_acks),
          [c for c in act_acks if key_of[c] not in accepted][:5])
    check("reports were kept again after the failover", any(t > first_after for _, t in case_acks.values()))
    # A refusal while the database was away is the server's (unavailable, internal), never a
    # client's mistake (bad_…, unknown_…, not_allowed).
    client_codes = ("bad_", "unknown_", "not_allowed", "stale_case", "outside")
    check("refusals while the database was away were the server's, named as such",
          not [f for f in case_failures if any(c in f for c in client_codes)],
          sorted({f.split(":")[0][:80] for f in case_failures})[:5])
    print(f"lookups during the failover: {sum(lookups)} answered, {sum(len(f) for f in lookup_failures)} failed")
    check("lookups never failed (answered from memory while the database was away)",
          not any(lookup_failures) and all(lookups), [f[:2] for f in lookup_failures])
finally:
    running = False
    for s in servers:
        stop(s)
    for d in (standby, primary):
        as_owner(f"{pg_bin}/pg_ctl", "-D", d, "-m", "immediate", "-w", "stop")
    subprocess.run(["rm", "-rf", scratch])
check.finish("failover")
