"""Load benchmark: gridmap serve vs redis-server on this machine, driven by redis-benchmark.

Usage: python3 tools/loadbench.py [--requests N] [--rounds R] [--data DIR]
Needs redis-tools and redis-server (apt) and a release build (swift build -c release).
Starts both servers on free loopback ports, loads the same resources into Redis with GEOADD,
stores a value as long as a LOCATE reply in Redis (GET of it shows what replies of that size
cost Redis and the client), and LOCATE of random points written with 16 significant digits
(what programs print; a new point each request, through redis-benchmark -r) against GET of a
value as long as such a reply; runs redis-benchmark at 50 connections unpipelined and with -P 16,
prints a table and the ratios the README quotes, then stops both servers.

Throughput on a shared 2-core VM drifts by 10-20% from one minute to the next, so every case is
run --rounds times, interleaved (round 1 of every case, then round 2, ...), and the table shows
each case's median round: a noisy minute then hits all cases alike instead of one. An untimed
warm-up pass of every case comes first.
"""
import argparse, csv, io, json, os, signal, socket, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--requests", type=int, default=200_000)
ap.add_argument("--rounds", type=int, default=3, help="runs of every case; the median is reported")
ap.add_argument("--data", default="data/yufeng")
ap.add_argument("--binary", default=".build/release/gridmap")
ap.add_argument("--threads", type=int, default=0, help="gridmap event loops (0: one per core)")
args = ap.parse_args()


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port):
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


gport, rport = free_port(), free_port()
gridmap = subprocess.Popen([args.binary, "serve", "--http-port", "0", "--port", str(gport), "--data", args.data,
                            "--max-connections", "4096"]
                           + (["--threads", str(args.threads)] if args.threads else []),
                           stderr=subprocess.DEVNULL)
redis_server = subprocess.Popen(["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no",
                                 "--bind", "127.0.0.1"],
                                stdout=subprocess.DEVNULL)
try:
    wait_port(gport); wait_port(rport)
    # The same resources, as a Redis geo set.
    features = json.load(open(os.path.join(args.data, "resources.geojson")))["features"]
    pipe = io.StringIO()
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        parts = ["GEOADD", "resources", repr(lon), repr(lat), f["id"]]
        pipe.write(f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts))
    subprocess.run(["redis-cli", "-p", str(rport), "--pipe"], input=pipe.getvalue().encode(), check=True,
                   stdout=subprocess.DEVNULL)
    # A stored value as long as a LOCATE reply: what Redis and the client do with replies that size.
    locate_reply = subprocess.run(["redis-cli", "-p", str(gport), "LOCATE", "109.4300", "24.3000"],
                                  capture_output=True, check=True).stdout.rstrip(b"\n")
    subprocess.run(["redis-cli", "-p", str(rport), "-x", "SET", "reply"], input=locate_reply, check=True,
                   stdout=subprocess.DEVNULL)
    # Points as programs print them (16 significant digits), a new one each request:
    # redis-benchmark -r puts 12 random digits where __rand_int__ stands. The GET it is compared
    # with returns a value as long as such a reply.
    # The box 109.4–109.5, 24.2–24.3 has about 60% of its points in the district (24.3–24.4,
    # the example, about 20%: mostly the short "outside" reply); the GET is of a value as
    # long as a reply inside, which is the longer one, so the comparison is against the harder peer.
    random_point = ["109.4__rand_int__", "24.2__rand_int__"]
    full_reply = subprocess.run(["redis-cli", "-p", str(gport), "LOCATE", "109.4310043995815", "24.29999569041801"],
                                capture_output=True, check=True).stdout.rstrip(b"\n")
    subprocess.run(["redis-cli", "-p", str(rport), "-x", "SET", "fullreply"], input=full_reply, check=True,
                   stdout=subprocess.DEVNULL)

    def bench(port, pipeline, *command, requests=None):
        # A command naming __rand_int__ gets random digits there (-r).
        random = ["-r", "1000000000000"] if any("__rand_int__" in c for c in command) else []
        out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(requests or args.requests),
                              "-P", str(pipeline), "--csv", *random, *command],
                             capture_output=True, text=True, check=True).stdout
        row = list(csv.DictReader(io.StringIO(out)))[-1]
        return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])

    lon, lat = "109.4300", "24.3000"
    cases = [
        ("gridmap LOCATE", gport, ["LOCATE", lon, lat]),
        ("gridmap LOCATE random 16-digit", gport, ["LOCATE", *random_point]),
        (f"redis GET {len(full_reply)}-byte value", rport, ["GET", "fullreply"]),
        ("gridmap NEARBY k=5", gport, ["NEARBY", lon, lat, "LIMIT", "5"]),
        ("gridmap PING", gport, ["PING"]),
        ("redis PING", rport, ["PING"]),
        (f"redis GET {len(locate_reply)}-byte value", rport, ["GET", "reply"]),
        ("redis GEOSEARCH 500 m k=5", rport,
         ["GEOSEARCH", "resources", "FROMLONLAT", lon, lat, "BYRADIUS", "500", "m", "ASC", "COUNT", "5"]),
    ]
    # A short untimed pass of every case first: the first run after a quiet spell is slow on
    # this VM (caches, CPU frequency, the host), and it would land on whichever case is first.
    for name, port, command in cases:
        bench(port, 16, *command, requests=args.requests // 4)
    runs = {}
    print(f"redis-benchmark -c 50 -n {args.requests}, data {args.data}, "
          f"{os.cpu_count()} cores shared by server and client, "
          f"median of {args.rounds} interleaved rounds")
    for _ in range(args.rounds):
        for pipeline in (1, 16):
            for name, port, command in cases:
                runs.setdefault((name, pipeline), []).append(bench(port, pipeline, *command))
    results = {key: sorted(rounds)[len(rounds) // 2] for key, rounds in runs.items()}
    print(f"{'case':28} {'pipeline':>8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}   req/s of every round")
    for pipeline in (1, 16):
        for name, _, _ in cases:
            rps, p50, p99 = results[(name, pipeline)]
            every = " ".join(f"{r[0]:.0f}" for r in runs[(name, pipeline)])
            print(f"{name:28} {pipeline:>8} {rps:>10.0f} {p50:>8.3f} {p99:>8.3f}   {every}")
    for pipeline in (1, 16):
        locate = results[("gridmap LOCATE", pipeline)][0]
        geosearch = results[("redis GEOSEARCH 500 m k=5", pipeline)][0]
        print(f"-P {pipeline}: LOCATE / redis GEOSEARCH = {locate / geosearch:.2f}, "
              f"LOCATE / redis PING = {locate / results[('redis PING', pipeline)][0]:.2f}")
        per_round = [g[0] / r[0] for g, r in zip(runs[("gridmap LOCATE", pipeline)], runs[("redis PING", pipeline)])]
        print(f"      LOCATE / redis PING in each round: {' '.join(f'{x:.2f}' for x in per_round)}")
    for pipeline in (1, 16):
        full = runs[("gridmap LOCATE random 16-digit", pipeline)]
        get = runs[(f"redis GET {len(full_reply)}-byte value", pipeline)]
        per_round = [f[0] / g[0] for f, g in zip(full, get)]
        print(f"-P {pipeline}: LOCATE of random 16-digit points / redis GET of a {len(full_reply)}-byte value = "
              f"{sorted(per_round)[len(per_round) // 2]:.2f} (each round: {' '.join(f'{x:.2f}' for x in per_round)})")
    print(f"LOCATE p99 at -P 1, worst of {args.rounds} rounds: {max(r[2] for r in runs[('gridmap LOCATE', 1)]):.3f} ms")
finally:
    gridmap.send_signal(signal.SIGTERM); redis_server.send_signal(signal.SIGTERM)
    gridmap.wait(timeout=20); redis_server.wait(timeout=20)
