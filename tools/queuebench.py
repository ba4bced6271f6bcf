"""A dispatcher's queue and a grid's cases, timed one request at a time over RESP.

Usage: python3 tools/queuebench.py STORE [--binary B] [--requests N]
Serves STORE (a store with cases, e.g. five years of the 100× district) read as it is, and
sends N of each of these, one at a time from one client (redis-py), timing each answer:
the open queue (CASES STAGE reported,accepted,dispatched,handled LIMIT 50, by due time), the
overdue (CASES OVERDUE true LIMIT 50), a random grid's cases (CASES GRID g LIMIT 50, grids
drawn from those with cases) and a random unit's dispatched cases. Prints p50, p99 and the
largest of each (goal: p99 ≤ 5 ms at 3.8 M cases, issue #39).
"""
import argparse, os, random, sqlite3, statistics, subprocess, sys, time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, wait_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("store")
ap.add_argument("--binary", default=".build/release/gridmap")
ap.add_argument("--requests", type=int, default=2000)
args = ap.parse_args()

db = sqlite3.connect(args.store)
top = db.execute("SELECT max(id) FROM case_report").fetchone()[0]
random.seed(40)
# Random cases' grids, drawn by id (ORDER BY random() would read every report of a large log).
grids = [r[0] for i in random.sample(range(1, top + 1), min(5000, top))
         for r in db.execute("SELECT grid FROM case_report WHERE id = ?", (i,))]
units = [r[0] for r in db.execute("SELECT DISTINCT unit FROM case_state WHERE unit IS NOT NULL")]
cases = db.execute("SELECT count(*) FROM case_report").fetchone()[0]
db.close()
port = free_port()
server = subprocess.Popen([args.binary, "serve", "--store", args.store, "--port", str(port), "--http-port", "0"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    wait_port(port, seconds=600)
    c = redis.Redis(port=port, decode_responses=True, socket_timeout=120)
    for _ in range(6000):
        try:
            c.execute_command("LOCATE", "109.43", "24.30")
            break
        except redis.RedisError:
            time.sleep(0.1)
    random.seed(39)
    kinds = {
        "open queue": lambda: ["STAGE", "reported,accepted,dispatched,handled"],
        "overdue": lambda: ["OVERDUE", "true"],
        "a grid's cases": lambda: ["GRID", random.choice(grids)],
        "a unit's dispatched": lambda: ["UNIT", random.choice(units), "STAGE", "dispatched"],
    }
    for name, pairs in kinds.items():
        c.execute_command("CASES", *pairs(), "LIMIT", "50")  # warm
        times, sizes = [], []
        for _ in range(args.requests):
            p = pairs()
            t = time.perf_counter()
            reply = c.execute_command("CASES", *p, "LIMIT", "50")
            times.append((time.perf_counter() - t) * 1000)
            sizes.append(len(reply))
        times.sort()
        print(f"{name}: p50 {statistics.median(times):.2f} ms, p99 {times[int(0.99 * len(times)) - 1]:.2f} ms, "
              f"max {times[-1]:.2f} ms over {args.requests} requests ({cases:,} cases in the store; replies "
              f"{statistics.median(sizes) / 1024:.0f} kB median)", flush=True)
finally:
    stop(server)
