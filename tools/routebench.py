"""ROUTE against LOCATE over RESP, driven by redis-benchmark (issue 24, point 6).

Usage: python3 tools/routebench.py [--requests N] [--rounds R] [--data DIR]
Needs redis-tools (apt) and a release build (swift build -c release). Starts `gridmap serve` on a
free loopback port and runs, interleaved, --rounds rounds of: LOCATE of random points written with
16 significant digits (a new point each request: redis-benchmark -r puts 12 random digits where
__rand_int__ stands), and ROUTE of the same kind of points in a category a unit handles (0201
店外经营, 行政执法: unit, staff, chain) and in a 属地 category (0601 打架斗殴: grid worker). Prints
each case's median round and ROUTE/LOCATE per round, at 50 connections unpipelined and at -P 16.
The peer for replies that size: redis-server's GET of values as long as a LOCATE and a ROUTE reply
(needs redis-server), in the same rounds: what moving those bytes costs Redis and the client.
"""
import argparse, csv, io, signal, socket, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--requests", type=int, default=300_000)
ap.add_argument("--rounds", type=int, default=5, help="runs of every case; the median is reported")
ap.add_argument("--data", default="data/yufeng")
ap.add_argument("--binary", default=".build/release/gridmap")
args = ap.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


port = free_port()
server = subprocess.Popen([args.binary, "serve", "--http-port", "0", "--port", str(port), "--data", args.data],
                          stderr=subprocess.DEVNULL)
rport = free_port()
redis = subprocess.Popen(["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no",
                          "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
try:
    wait_port(port)
    wait_port(rport)
    # redis-benchmark stops at an error reply, and ROUTE refuses a point outside the district: the
    # points are drawn from 0.01° boxes wholly inside it (checked by the script), one per case.
    boxes = [("109.43", "24.30"), ("109.47", "24.28"), ("109.52", "24.36")]

    def bench(pipeline, command, requests=None, to=None):
        out = subprocess.run(["redis-benchmark", "-p", str(to or port), "-c", "50", "-n", str(requests or args.requests),
                              "-P", str(pipeline), "--csv", "-r", "1000000000000", *command],
                             capture_output=True, text=True, check=True).stdout
        return float(list(csv.DictReader(io.StringIO(out)))[-1]["rps"])

    sizes = {}
    for name, command in [("LOCATE", ["LOCATE", "109.4310043995815", "24.29999569041801"]),
                          ("ROUTE 0201", ["ROUTE", "109.4310043995815", "24.29999569041801", "0201"]),
                          ("ROUTE 0601", ["ROUTE", "109.4310043995815", "24.29999569041801", "0601"])]:
        reply = subprocess.run(["redis-cli", "-p", str(port), *command], capture_output=True, check=True).stdout
        sizes[name] = len(reply.rstrip(b"\n"))
        subprocess.run(["redis-cli", "-p", str(rport), "-x", "SET", name], input=reply.rstrip(b"\n"), check=True,
                       stdout=subprocess.DEVNULL)
    cases = []
    for x, y in boxes:
        point = [x + "__rand_int__", y + "__rand_int__"]
        cases += [(f"LOCATE {x},{y}", ["LOCATE", *point]), (f"ROUTE 0201 {x},{y}", ["ROUTE", *point, "0201"]),
                  (f"ROUTE 0601 {x},{y}", ["ROUTE", *point, "0601"])]
    peers = [(f"redis GET {sizes['LOCATE']} B", ["GET", "LOCATE"]),
             (f"redis GET {sizes['ROUTE 0201']} B", ["GET", "ROUTE 0201"])]
    for _, command in cases:  # untimed warm-up
        bench(16, command, requests=args.requests // 4)
    runs = {}
    for _ in range(args.rounds):
        for pipeline in (1, 16):
            for name, command in cases:
                runs.setdefault((name, pipeline), []).append(bench(pipeline, command))
            for name, command in peers:
                runs.setdefault((name, pipeline), []).append(bench(pipeline, command, to=rport))
    print(f"redis-benchmark -c 50 -n {args.requests} -r (random 16-digit points), data {args.data}, "
          f"median of {args.rounds} interleaved rounds; reply bytes inside the district: "
          + ", ".join(f"{n} {b}" for n, b in sizes.items()))
    for pipeline in (1, 16):
        for name, _ in cases:
            r = runs[(name, pipeline)]
            locate = runs[("LOCATE " + name.split()[-1], pipeline)]
            ratios = [x / y for x, y in zip(r, locate)]
            print(f"-P {pipeline:>2} {name:26} {sorted(r)[len(r) // 2]:>10.0f} req/s   /LOCATE in the same box "
                  f"{sorted(ratios)[len(ratios) // 2]:.2f} (rounds {' '.join(f'{x:.2f}' for x in ratios)})")
        # Every ROUTE against every LOCATE of its round, all boxes together.
        rounds = [sum(runs[(n, pipeline)][k] for n, _ in cases if n.startswith("ROUTE"))
                  / sum(runs[(n, pipeline)][k] for n, _ in cases if n.startswith("LOCATE")) / 2
                  for k in range(args.rounds)]
        print(f"-P {pipeline:>2} ROUTE/LOCATE over all boxes: {sorted(rounds)[len(rounds) // 2]:.2f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in rounds)})")
        small, large = (runs[(n, pipeline)] for n, _ in peers)
        gets = [b / a for a, b in zip(small, large)]
        print(f"-P {pipeline:>2} the peer: {peers[1][0]} / {peers[0][0]}: {sorted(gets)[len(gets) // 2]:.2f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in gets)}); "
              f"{peers[1][0]} {sorted(large)[len(large) // 2]:.0f} req/s")
        route = [sum(runs[(n, pipeline)][k] for n, _ in cases if n.startswith("ROUTE")) / (2 * len(boxes)) / large[k]
                 for k in range(args.rounds)]
        print(f"-P {pipeline:>2} ROUTE / {peers[1][0]}: {sorted(route)[len(route) // 2]:.2f} "
              f"(rounds {' '.join(f'{x:.2f}' for x in route)})")
finally:
    server.send_signal(signal.SIGTERM)
    redis.send_signal(signal.SIGTERM)
    server.wait(timeout=20)
    redis.wait(timeout=20)
