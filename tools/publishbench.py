"""Publishing while serving: LOCATE under load with a new version published every second.

Usage: python3 tools/publishbench.py [--data DIR | --store FILE] [--requests N] [--rounds R]
Needs redis-tools (apt), redis-py (pip) and a release build (swift build -c release).
Imports DIR into a new store, serves it, and runs redis-benchmark (50 connections,
unpipelined LOCATE) in interleaved rounds: quiet, then with a planner connection publishing a
version every second (ROLLBACK alternately to versions 1 and 2, each a new version changing
one grid). With --store, a copy of that store is served instead (its versions 1 and 2 must
differ, as those of `gridmap-bench store` do: use it for the 100× data).
Prints throughput and p99 of each, the drop, and the time from each publish to
the first LOCATE answered from the new version (a separate connection polls every 2 ms from
the moment the publish is sent).
"""
import argparse, csv, io, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time

import redis

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="data/yufeng")
ap.add_argument("--requests", type=int, default=300_000)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--binary", default=".build/release/gridmap")
ap.add_argument("--store", help="serve a copy of this store instead of importing --data")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="gridmap-publishbench-")
store = os.path.join(work, "map.gridmap")
if args.store:
    shutil.copyfile(args.store, store)
else:
    subprocess.run([args.binary, "store", "import", args.data, "--store", store], check=True, stdout=subprocess.DEVNULL)
    # Version 2: one grid renamed (export, edit, import), so that rollbacks alternate.
    edited = os.path.join(work, "edited")
    subprocess.run([args.binary, "store", "export", edited, "--store", store], check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(edited, "grids.geojson")
    text = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8").write(text.replace('"name":"', '"name":"新', 1))
    subprocess.run([args.binary, "store", "import", edited, "--store", store], check=True, stdout=subprocess.DEVNULL)

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
server = subprocess.Popen([args.binary, "serve", "--http-port", "0", "--port", str(port), "--store", store],
                          stderr=subprocess.DEVNULL)
lon, lat = "109.4300", "24.3000"


def bench():
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(args.requests), "--csv",
                          "LOCATE", lon, lat], capture_output=True, text=True, check=True).stdout
    row = list(csv.DictReader(io.StringIO(out)))[-1]
    return float(row["rps"]), float(row["p99_latency_ms"]), float(row["max_latency_ms"])


failures = []


def publisher(stop, delays):
    planner = redis.Redis(port=port, decode_responses=True)
    poller = redis.Redis(port=port, decode_responses=True)
    target = 1
    while not stop.is_set():
        started = time.monotonic()
        before = json.loads(poller.execute_command("LOCATE", lon, lat))["data_version"]
        sent = time.monotonic()
        def publish(target=target):
            try:
                planner.execute_command("ROLLBACK", target)
            except redis.ResponseError as e:  # the head already holds that content: the other one
                try:
                    planner.execute_command("ROLLBACK", 2 if target == 1 else 1)
                except redis.ResponseError as again:
                    failures.append(f"ROLLBACK {target}: {e}; ROLLBACK {2 if target == 1 else 1}: {again}")
        thread = threading.Thread(target=publish)
        thread.start()
        while True:
            now = json.loads(poller.execute_command("LOCATE", lon, lat))["data_version"]
            if now != before:
                delays.append(time.monotonic() - sent)
                break
            if time.monotonic() - sent > 10:
                break
            # Every 2 ms, not flat out: a Python loop polling flat out takes a core of this
            # 2-core machine from the server and redis-benchmark, and the delays measured
            # here (tens of ms) need no finer resolution.
            time.sleep(0.002)
        thread.join()
        target = 2 if target == 1 else 1
        stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


try:
    for _ in range(1200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); break
        except OSError:
            time.sleep(0.05)
    bench()  # warm-up
    quiet, busy, delays = [], [], []
    for _ in range(args.rounds):
        quiet.append(bench())
        stop = threading.Event()
        t = threading.Thread(target=publisher, args=(stop, delays))
        t.start()
        busy.append(bench())
        stop.set(); t.join()
    median = lambda xs: sorted(xs)[len(xs) // 2]
    info = redis.Redis(port=port, decode_responses=True).info()
    print(f"redis-benchmark -c 50 -n {args.requests} LOCATE, {args.rounds} interleaved rounds; "
          f"{'store ' + args.store if args.store else 'data ' + args.data}")
    for name, runs in (("quiet", quiet), ("publishing every second", busy)):
        print(f"  {name:24} req/s {median([r[0] for r in runs]):>9.0f}   p99 {median([r[1] for r in runs]):.3f} ms "
              f"(worst round {max(r[1] for r in runs):.3f})   max {max(r[2] for r in runs):.3f} ms   "
              f"rounds: {' '.join(f'{r[0]:.0f}' for r in runs)}")
    drop = 1 - median([r[0] for r in busy]) / median([r[0] for r in quiet])
    print(f"  throughput drop while publishing: {drop * 100:.1f}%")
    delays.sort()
    print(f"  {len(delays)} publishes; publish → first answer from the new version: "
          f"median {median(delays) * 1000:.0f} ms, "
          f"max {delays[-1] * 1000:.0f} ms; versions now {info.get('data_version')}, "
          f"last build {info.get('last_build_ms')} ms")
    for f in failures:
        print("  publish failed:", f)
finally:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)
    shutil.rmtree(work, ignore_errors=True)
