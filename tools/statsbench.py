"""The measures on a running server, two builds against each other in one run.

Usage: python3 tools/statsbench.py STORE BINARY_A BINARY_B [--rounds N] [--requests K]
(BINARY_B "-": A alone, for a store too large to replay with an older build.)
STORE: a store with cases (e.g. `gridmap store import data/yufeng --store S` then
`gridmap cases import data/yufeng/cases.csv --store S`). Each round serves a copy of it with
A, then with B (interleaved: the VM drifts), and times K requests after one unrecorded one:
all grids over the year stamped, all grids on the current map, one grid's row over the year,
and one grid's row over the last month (what the 统计 card asks for each of its months).
Prints each build's medians over all rounds, and the median of the per-round ratios B/A. Both
builds must answer the same bytes.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, wait_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("store")
ap.add_argument("a")
ap.add_argument("b")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--in-place", action="store_true", help="serve STORE itself, not a copy (a large one)")
ap.add_argument("--requests", type=int, default=10)
ap.add_argument("--from", dest="start", default="2025-12-01")
ap.add_argument("--to", default="2026-12-01")
ap.add_argument("--grid", default="450203001001002")
ap.add_argument("--month", default="2026-11-01", help="the card's last month starts here and ends at --to")
ap.add_argument("--asof", default="2026-12-07T00:00:00%2B08:00")
args = ap.parse_args()

# A fixed moment to take the figures as of: the answer names it, and both builds must agree.
period = f"from={args.start}&to={args.to}&asof={args.asof}"
queries = {
    "all grids, stamped": f"/api/stats?by=grid&{period}&attribution=stamped",
    "all grids, current map": f"/api/stats?by=grid&{period}&attribution=current",
    "one grid over the period (id=)": f"/api/stats?by=grid&{period}&id={args.grid}",
    "one grid, one month (a card's)":
        f"/api/stats?by=grid&from={args.month}&to={args.to}&asof={args.asof}&id={args.grid}",
}
work = tempfile.mkdtemp(prefix="gridmap-statsbench-")
times = {(b, q): [] for b in "ab" for q in queries}
ratios = {q: [] for q in queries}
answers = {}
try:
    for r in range(args.rounds):
        medians = {}
        for label, binary in (("a", args.a), ("b", args.b)) if args.b != "-" else (("a", args.a),):
            store = args.store if args.in_place else os.path.join(work, f"{label}.gridmap")
            if not args.in_place:
                shutil.copyfile(args.store, store)
            port, http = free_port(), free_port()
            server = subprocess.Popen([binary, "serve", "--store", store, "--port", str(port),
                                       "--http-port", str(http)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            try:
                wait_port(http, seconds=900)
                # Listening is not ready: the map loads first (503 until then).
                for _ in range(600):
                    try:
                        ready = f"http://127.0.0.1:{http}/api/locate?lon=109.42&lat=24.3"
                        urllib.request.urlopen(ready, timeout=60).read()
                        break
                    except urllib.error.HTTPError:
                        time.sleep(0.1)
                for q, path in queries.items():
                    def get():
                        with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}", timeout=600) as resp:
                            return resp.read()
                    body = get()
                    answers.setdefault(q, {})[label] = body
                    mine = []
                    for _ in range(args.requests):
                        t = time.perf_counter()
                        get()
                        mine.append((time.perf_counter() - t) * 1000)
                    times[(label, q)] += mine
                    medians[(label, q)] = statistics.median(mine)
            finally:
                stop(server)
                if not args.in_place:
                    os.remove(store)
        if args.b == "-":
            print(f"round {r + 1}: " + "; ".join(f"{q}: {medians[('a', q)]:.1f} ms" for q in queries), flush=True)
            continue
        for q in queries:
            ratios[q].append(medians[("b", q)] / medians[("a", q)])
        print(f"round {r + 1}: " + "; ".join(f"{q}: A {medians[('a', q)]:.1f} ms, B {medians[('b', q)]:.1f} ms"
                                            for q in queries), flush=True)
    for q in queries:
        if args.b == "-":
            print(f"{q}: {statistics.median(times[('a', q)]):.1f} ms (median of {len(times[('a', q)])})")
            continue
        same = answers[q]["a"] == answers[q]["b"]
        print(f"{q}: A {statistics.median(times[('a', q)]):.1f} ms, B {statistics.median(times[('b', q)]):.1f} ms "
              f"(median of {len(times[('a', q)])}); B/A per round median {statistics.median(ratios[q]):.3f} "
              f"(rounds {min(ratios[q]):.3f}–{max(ratios[q]):.3f}); same answer: {same}")
finally:
    shutil.rmtree(work, ignore_errors=True)
