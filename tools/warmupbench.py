"""The first statistics request after a server starts, with and without the measures' warm-up.

Usage: python3 tools/warmupbench.py STORE BINARY [--rounds N] [--wait S]
STORE: a store with cases (docs/PERFORMANCE.md says how the 378,662-case one is made). Each
round serves STORE twice, interleaved (the VM drifts): `--no-measures-warmup`, then with the
warm-up. Each server is ready (/readyz), then left S seconds (default: until the warm-up's
copy holds every case, `gridmap_case_histories_held` in /metrics), then asked once for all
grids over a year; that request's time is printed per round, with the warm-up's own time
from start, and the medians. Both answers must be the same bytes.
"""
import argparse, os, statistics, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, wait_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("store")
ap.add_argument("binary")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--from", dest="start", default="2025-12-01")
ap.add_argument("--to", default="2026-12-01")
ap.add_argument("--asof", default="2026-12-07T00:00:00%2B08:00")
args = ap.parse_args()
query = f"/api/stats?by=grid&from={args.start}&to={args.to}&asof={args.asof}&attribution=stamped"


def get(http, path, timeout=900):
    with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}", timeout=timeout) as r:
        return r.read()


def held(http):
    for line in get(http, "/metrics").decode().splitlines():
        if line.startswith("gridmap_case_histories_held "):
            return int(float(line.split()[1]))
    return 0


total = None
firsts = {"without": [], "with": []}
warmups, answers = [], set()
for r in range(args.rounds):
    for label, flags in (("without", ["--no-measures-warmup"]), ("with", [])):
        port, http = free_port(), free_port()
        started = time.monotonic()
        server = subprocess.Popen([args.binary, "serve", "--store", args.store, "--port", str(port),
                                   "--http-port", str(http)] + flags,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(http, seconds=900)
            while True:
                try:
                    get(http, "/readyz")
                    break
                except Exception:  # noqa: BLE001 - 503 while the map loads
                    time.sleep(0.1)
            if label == "with":
                # The case count, from a server that read them all (the previous round's answer
                # made it): waited for, then the warm-up's time from the server's start.
                while total is None or held(http) < total:
                    time.sleep(0.05)
                warmups.append(time.monotonic() - started)
            else:
                time.sleep(1)
            t = time.monotonic()
            answers.add(get(http, query))
            firsts[label].append(time.monotonic() - t)
            if total is None:
                total = held(http)
        finally:
            stop(server)
    print(f"round {r + 1}: first request without the warm-up {firsts['without'][-1] * 1000:.0f} ms, "
          f"with it {firsts['with'][-1] * 1000:.0f} ms (the warm-up done {warmups[-1]:.1f} s after start)",
          flush=True)
print(f"{total} cases; medians of {args.rounds} rounds: first all-grids request "
      f"{statistics.median(firsts['without']) * 1000:.0f} ms without the warm-up, "
      f"{statistics.median(firsts['with']) * 1000:.0f} ms with it; the warm-up done "
      f"{statistics.median(warmups):.1f} s after start; same answers: {len(answers) == 1}")
sys.exit(0 if len(answers) == 1 else 1)
