"""Planning at scale (issue #26, point 4), at Yufeng and at 100× (67,400 grids).

Usage: python3 tools/planbench.py STORE [--binary .build/release/gridmap] [--rounds 10]
STORE: a store file (a copy is served, with its -wal/-shm) or a PostgreSQL store (served as it
is: nothing is published, every draft is discarded). Each round times over RESP a split, a
boundary move and a merge, each in a fresh draft (so each is its draft's first operation), on
grids picked in a fixed pseudo-random order, apart, none used twice; in the first 5 rounds the
split's draft is validated and its impact measured. A refusal is counted and reported and the
next grid tried. Then `gridmap plan split` is timed as a whole process on the stopped server's
store (5 runs), and the server's resident memory compared before and after. Prints medians,
min and max beside the goals, and a JSON line.
"""
import argparse, atexit, contextlib, json, math, os, random, shutil, statistics, subprocess, sys, tempfile, time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, run, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("store")
ap.add_argument("--binary", default=".build/release/gridmap")
ap.add_argument("--rounds", type=int, default=10)
args = ap.parse_args()
GOALS = {"split": 1, "move_boundary": 1, "merge": 1, "validate": 10, "impact": 2, "cli_split": 3}
VERBS = {"split": "SPLIT", "move_boundary": "MOVEBOUNDARY", "merge": "MERGE"}
TRIES = 5         # refusals tolerated per timed success before giving that one up
APART = 0.005     # degrees (~500 m) between the centres of picked grids: Yufeng still has ~110 such picks
MEMORY_GOAL = 1.5
FEW = min(args.rounds, 5)  # validate, impact and CLI runs: each costs seconds at 100×
times = {k: [] for k in GOALS}
refusals = []     # (figure, grid, the engine's answer)

work = tempfile.mkdtemp(prefix="gridmap-planbench-")
store = args.store
if not (store.startswith("postgresql://") or "dbname=" in store):
    store = os.path.join(work, os.path.basename(args.store.rstrip("/")))
    for suffix in ("", "-wal", "-shm"):  # a WAL file may hold committed versions not yet checkpointed
        if os.path.exists(args.store + suffix):
            shutil.copyfile(args.store + suffix, store + suffix)

port = free_port()
server = subprocess.Popen([args.binary, "serve", "--port", str(port), "--http-port", "0", "--store", store,
                           "--planner-pass", "p"], stderr=subprocess.DEVNULL)


@atexit.register  # on any exit, a failure's included: no server left running, no copy left behind
def cleanup():
    if server.poll() is None:
        stop(server)
    shutil.rmtree(work, ignore_errors=True)


# username/password: redis-py sends `AUTH planner p` on every connection it makes, reconnects too.
c = redis.Redis(port=port, username="planner", password="p", decode_responses=True, socket_timeout=600)


def memory(key="VmRSS"):
    """The server's resident memory (or, with VmHWM, its peak) in MiB, as the kernel counts it."""
    return next(int(line.split()[1]) / 1024 for line in open(f"/proc/{server.pid}/status")
                if line.startswith(key + ":"))


def clock(*command):
    t = time.monotonic()
    c.execute_command(*command)
    return time.monotonic() - t


def ring(g):
    return g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]


def inside(g, p):
    """Even-odd ray test over every ring of every polygon (holes count as outside)."""
    polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    crossings = sum(1 for polygon in polygons for r in polygon for (x0, y0), (x1, y1) in zip(r, r[1:])
                    if (y0 > p[1]) != (y1 > p[1]) and p[0] < (x1 - x0) * (p[1] - y0) / (y1 - y0) + x0)
    return crossings % 2 == 1


def shared_run(ra, rb):
    """The longest run of consecutive vertices of ring ra that are vertices of rb too."""
    vb, best, cur = {tuple(v) for v in rb}, [], []
    for v in ra[:-1] + ra[:-1]:  # twice round: a run may wrap past the ring's start
        cur = cur + [v] if tuple(v) in vb else []
        best = cur if len(best) < len(cur) < len(ra) else best
    return best


def wkt(points):
    return "LINESTRING(" + ", ".join(f"{x!r} {y!r}" for x, y in points) + ")"


def make_split(gid, geom, nbrs):
    """A horizontal line across the grid's middle, 0.0004° beyond its x extent on both sides."""
    if geom["type"] != "Polygon":  # refused as multipart_grid whatever its size: says nothing of speed
        return None
    xs, ys = zip(*ring(geom))
    y = (min(ys) + max(ys)) / 2
    return [gid, wkt([(min(xs) - 0.0004, y), (max(xs) + 0.0004, y)])], []


def make_move(gid, geom, nbrs):
    """The boundary with a same-community neighbour along a shared run of ≥ 7 vertices, drawn
    anew from its first vertex through a point 12 m into the neighbour at its middle to its last."""
    for b in (n["id"] for n in nbrs if n["id"] not in taken and n["community_id"] == community[gid]):
        gb = json.loads(c.execute_command("GRID", b))["geometry"]
        run_ = shared_run(ring(geom), ring(gb))
        if len(run_) < 7:
            continue
        (x0, y0), (x1, y1), (mx, my) = run_[0], run_[-1], run_[len(run_) // 2]
        length = math.hypot(x1 - x0, y1 - y0)
        for sign in (1, -1) if length else ():
            p = (mx - sign * (y1 - y0) / length * 0.00012, my + sign * (x1 - x0) / length * 0.00012)
            if inside(gb, p):
                return [gid, b, wkt([run_[0], p, run_[-1]])], [b]
    return None


def make_merge(gid, geom, nbrs):
    """The grid and a neighbour of its community (NEIGHBORS: sharing a stretch, not a point)."""
    b = next((n["id"] for n in nbrs if n["id"] not in taken and n["community_id"] == community[gid]), None)
    return b and ([gid, b], [b])


# Warm the server as a reader first (the address index of GEOCODE is built in the background
# from start-up: waiting for it keeps its growth out of the planning session's memory figure).
while True:
    try:
        c.execute_command("LOCATE", "109.45", "24.30")
        break
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        if server.poll() is not None:
            sys.exit(f"gridmap serve exited with {server.returncode}")
        time.sleep(0.1)
rss_started = memory()
with contextlib.suppress(redis.ResponseError):  # a store without addresses: nothing to wait for
    c.execute_command("GEOCODE", "立岸大道12号")
rss_before = memory()  # before GRIDS and the picks' GRID/NEIGHBORS too: a planner's page reads them as well
grids = json.loads(c.execute_command("GRIDS"))["grids"]
community = {g["id"]: g["community_id"] for g in grids}
order = sorted(community)
random.Random(26).shuffle(order)
taken, centres, drafts = set(), [], []


def picks():
    """Grids in the fixed order, none an earlier pick (or its neighbours) took or within APART of one."""
    for gid in order:
        if gid in taken:
            continue
        geom = json.loads(c.execute_command("GRID", gid))["geometry"]
        xs, ys = zip(*ring(geom))
        x, y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        if any(abs(x - a) < APART and abs(y - b) < APART for a, b in centres):
            taken.add(gid)  # centres only grow: it will never qualify again, so never fetch it again
            continue
        yield gid, geom, (x, y), json.loads(c.execute_command("NEIGHBORS", gid))["neighbors"]
    raise RuntimeError(f"no grid left to pick: {len(centres)} picked; lower APART")


def pick(make):
    """The arguments `make` draws on the next suitable grid; its grids and their neighbours are taken."""
    for gid, geom, centre, nbrs in picks():
        made = make(gid, geom, nbrs)
        if made:
            taken.update([gid, *made[1]], (n["id"] for n in nbrs))
            centres.append(centre)
            return made[0]


def timed(figure, make, r):
    """One timed success of an operation, each try in a fresh draft (so it is the draft's first
    operation, refused tries included); returns the draft, or None after TRIES refusals."""
    for _ in range(TRIES):
        argv = pick(make)
        draft = json.loads(c.execute_command("PLAN", "OPEN", f"planbench {r} {figure}"))["draft"]
        drafts.append(draft)
        try:
            times[figure].append(clock("PLAN", VERBS[figure], draft, *argv))
            return draft
        except redis.ResponseError as e:
            refusals.append((figure, argv[0], str(e)[:200]))


print(f"store {args.store}: {len(grids)} grids; {args.rounds} rounds; each operation timed in a fresh draft of "
      f"its own (its first operation); validate and impact on the round's split draft (first {FEW} rounds)", flush=True)
for r in range(args.rounds):
    counts = {k: len(v) for k, v in times.items()}
    split_draft = timed("split", make_split, r)
    timed("move_boundary", make_move, r)
    timed("merge", make_merge, r)
    if split_draft is not None and r < FEW:
        for figure in ("validate", "impact"):
            try:
                times[figure].append(clock("PLAN", figure.upper(), split_draft))
            except redis.ResponseError as e:
                refusals.append((figure, f"draft {split_draft}", str(e)[:200]))
    print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items() if len(v) > counts[k]),
          flush=True)
rss_session = memory()
for d in drafts:
    c.execute_command("PLAN", "DISCARD", d)
rss_after, rss_peak = memory(), memory("VmHWM")
cli_lines = [pick(make_split) for _ in range(FEW + TRIES)]  # picked while it serves
stop(server)

# The CLI on the stopped server's store: each split in a fresh draft, the whole process timed.
cli_drafts = []
for gid, line in cli_lines:
    if len(times["cli_split"]) == FEW:
        break
    opened = run(args.binary, "plan", "open", "--name", "planbench cli", "--author", "planbench", "--store", store)
    cli_drafts.append(str(json.loads(opened.stdout)["draft"]))
    t = time.monotonic()
    done = run(args.binary, "plan", "split", "--grid", gid, "--line", line, "--draft", cli_drafts[-1],
               "--store", store, ok=False)
    if done.returncode == 0:
        times["cli_split"].append(time.monotonic() - t)
    else:
        refusals.append(("cli_split", gid, done.stderr.strip()[:200]))
for d in cli_drafts:
    run(args.binary, "plan", "discard", "--draft", d, "--store", store)

summary = {}
print(f"\n{'figure':14} {'goal':>7} {'median':>9} {'min':>9} {'max':>9} {'timed':>7} refused")
for figure, goal in GOALS.items():
    xs, n = times[figure], args.rounds if figure in VERBS else FEW
    f = summary[figure] = {"goal_s": goal, "median_s": statistics.median(xs) if xs else None,
                           "min_s": min(xs, default=None), "max_s": max(xs, default=None), "timed": len(xs),
                           "wanted": n, "refused": sum(1 for x in refusals if x[0] == figure),
                           "runs_s": [round(x, 4) for x in xs]}
    cells = " ".join(f"{f[k]:7.3f} s" if xs else f"{'-':>9}" for k in ("median_s", "min_s", "max_s"))
    met = xs and f["median_s"] <= goal and len(xs) == n
    print(f"{figure:14} ≤ {goal:>3} s {cells} {len(xs):>3}/{n:<3} {f['refused']:>4}  {'ok' if met else 'MISSED'}")
ratio = rss_after / rss_before
print(f"\nresident memory: {rss_started:.0f} MiB at its first answer, {rss_before:.0f} MiB warm (before), "
      f"{rss_session:.0f} MiB after the session, {rss_after:.0f} MiB with its drafts discarded (after), peak "
      f"{rss_peak:.0f} MiB; after/before {ratio:.2f} (goal ≤ {MEMORY_GOAL}) "
      f"{'ok' if ratio <= MEMORY_GOAL else 'MISSED'}")
for figure, gid, message in refusals:
    print(f"refused: {figure} {gid}: {message}")
print(json.dumps({"store": args.store, "grids": len(grids), "rounds": args.rounds, "figures": summary,
                  "memory_mib": dict(started=rss_started, before=rss_before, session=rss_session, after=rss_after,
                                     peak=rss_peak),
                  "memory_ratio": round(ratio, 3), "memory_goal": MEMORY_GOAL,
                  "refusals": [list(x) for x in refusals]}, ensure_ascii=False))
