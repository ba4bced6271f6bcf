"""The store at scale, SQLite file against PostgreSQL, in one run.

Usage: python3 tools/storescalebench.py DATA_DIR [--binary B] [--rounds N]
DATA_DIR: e.g. the 100× data (`gridmap-datagen --scale 10 --out /tmp/yufeng100`). Needs
GRIDMAP_TEST_POSTGRES (a scratch server, tools/pg.sh). For each backend, interleaved where it
can be: the import's time; a server's start-up to its first LOCATE answer (N rounds); a
one-grid change published through a planner's server (PLAN OPEN, SET, PUBLISH; the PUBLISH
timed, N rounds); and the follow delay, from that publish's acknowledgement to the first
LOCATE a second server answers from the new version. Prints medians.
"""
import json, os, random, statistics, subprocess, sys, tempfile, time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, run, stop  # noqa: E402

data = sys.argv[1]
args = sys.argv[2:]
binary = args[args.index("--binary") + 1] if "--binary" in args else ".build/release/gridmap"
rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
server = os.environ["GRIDMAP_TEST_POSTGRES"]
work = tempfile.mkdtemp(prefix="gridmap-scale-")
database = f"gm_scale_{os.getpid()}"
subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {database}"], check=True)
stores = {"sqlite": os.path.join(work, "map.gridmap"), "postgresql": f"{server} dbname={database}"}
figures = {k: {} for k in stores}

for name, store in stores.items():
    t = time.monotonic()
    run(binary, "store", "import", data, "--store", store, "--author", "bench")
    figures[name]["import_s"] = time.monotonic() - t
    print(f"{name}: import {figures[name]['import_s']:.1f} s", flush=True)


def start(store, planner=False):
    port = free_port()
    cmd = [binary, "serve", "--port", str(port), "--http-port", "0", "--store", store]
    if planner:
        cmd += ["--planner-pass", "p"]
    t = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    c = redis.Redis(port=port, decode_responses=True, socket_timeout=120)
    while True:
        try:
            if '"grid"' in c.execute_command("LOCATE", "109.45", "24.30"):
                break
        except (redis.RedisError, OSError):
            time.sleep(0.05)
    return p, c, time.monotonic() - t


startups = {k: [] for k in stores}
for r in range(rounds):
    for name, store in stores.items():
        p, _, took = start(store)
        stop(p)
        startups[name].append(took)
for name in stores:
    figures[name]["startup_s"] = statistics.median(startups[name])
    print(f"{name}: start-up to first LOCATE {figures[name]['startup_s']:.2f} s "
          f"(rounds {', '.join(f'{x:.2f}' for x in startups[name])})", flush=True)

for name, store in stores.items():
    planner_p, planner, _ = start(store, planner=True)
    follower_p, follower, _ = start(store)
    planner.execute_command("AUTH", "planner", "p")
    grid = json.loads(planner.execute_command("LOCATE", "109.4310043995815", "24.29999569041801"))["grid"]["id"]
    publish, follow = [], []
    for n in range(rounds + 1):
        draft = json.loads(planner.execute_command("PLAN", "OPEN", f"bench {n}"))["draft"]
        planner.execute_command("PLAN", "SET", draft, grid, "households", str(500 + n))
        t = time.monotonic()
        v = json.loads(planner.execute_command("PLAN", "PUBLISH", draft))["version"]
        acked = time.monotonic()
        while True:
            lon, lat = 109.40 + random.random() * 0.3, 24.21 + random.random() * 0.36
            if json.loads(follower.execute_command("LOCATE", f"{lon!r}", f"{lat!r}"))["data_version"] == str(v):
                break
        seen = time.monotonic()
        if n:  # the first publish of a server also reads what planning needs once
            publish.append(acked - t)
            follow.append(seen - acked)
    stop(planner_p)
    stop(follower_p)
    figures[name]["publish_s"] = statistics.median(publish)
    figures[name]["follow_s"] = statistics.median(follow)
    print(f"{name}: one-grid publish {figures[name]['publish_s']:.2f} s (rounds "
          f"{', '.join(f'{x:.2f}' for x in publish)}); publish → second server answers from it "
          f"{figures[name]['follow_s']:.2f} s (rounds {', '.join(f'{x:.2f}' for x in follow)})", flush=True)
subprocess.run(["psql", server, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
subprocess.run(["rm", "-rf", work])
print(json.dumps(figures))
