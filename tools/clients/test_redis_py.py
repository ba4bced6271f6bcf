"""gridmap over RESP from another language: Python's `redis` package, unmodified.

Usage: python3 tools/clients/test_redis_py.py PATH/TO/gridmap
Starts `gridmap serve` on a free loopback port (with credentials), talks to it, stops it
with SIGTERM and checks it exits 0. Prints 'N passed, 0 failed'.
"""
import json, os, socket, subprocess, sys

import redis

from harness import Checks, free_port, stop, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/gridmap"
port = free_port()
env = dict(os.environ, GRIDMAP_REQUIREPASS="reader-secret", GRIDMAP_PLANNER_PASS="planner-secret")
server = subprocess.Popen([binary, "serve", "--http-port", "0", "--port", str(port)], env=env,
                          stderr=subprocess.PIPE, text=True)
check = Checks()

try:
    wait_port(port)

    # Without credentials only AUTH, HELLO, PING and QUIT run (raw RESP: client libraries
    # send CLIENT SETINFO on connect, which is refused too).
    raw = socket.create_connection(("127.0.0.1", port), timeout=60)
    raw.sendall(b"PING\r\nLOCATE 109.43 24.30\r\n")
    # Both replies, however they are split into reads (or until the server closes, or 60 s).
    answer = ""
    try:
        while "+PONG\r\n" not in answer or "-NOAUTH" not in answer or not answer.endswith("\r\n"):
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk.decode()
    except socket.timeout:
        pass
    raw.close()
    check("PING without AUTH", answer.startswith("+PONG\r\n"))
    check("LOCATE without AUTH refused", "-NOAUTH" in answer)

    # redis-py 8 gives up on a reply after 5 s unless told: a bound for a slow machine instead.
    r = redis.Redis(port=port, password="reader-secret", protocol=2, decode_responses=True, socket_timeout=60)
    located = json.loads(r.execute_command("LOCATE", "109.43", "24.30"))
    check("LOCATE answers a grid", located["grid"] and len(located["grid"]["id"]) == 15)
    check("Chinese names survive UTF-8", located["street"]["name"].endswith(("街道", "镇")))
    gcj = json.loads(r.execute_command("LOCATE", "109.4356", "24.2973", "CRS", "gcj02"))
    check("LOCATE in GCJ-02", gcj["input"]["crs"] == "gcj02")
    near = json.loads(r.execute_command("NEARBY", 109.43, 24.30, "KIND", "enforcement", "LIMIT", 4))
    distances = [x["distance_m"] for x in near["resources"]]
    check("NEARBY sorted", len(distances) == 4 and distances == sorted(distances))
    grid = json.loads(r.execute_command("GRID", located["grid"]["id"]))
    check("GRID geometry", grid["geometry"]["type"] in ("Polygon", "MultiPolygon"))
    pipe = r.pipeline(transaction=False)
    for k in range(100):
        pipe.execute_command("LOCATE", 109.40 + k * 0.001, 24.30)
    replies = [json.loads(x) for x in pipe.execute()]
    check("pipelined replies in order",
          [round(x["point"]["lon"], 3) for x in replies] == [round(109.40 + k * 0.001, 3) for k in range(100)])
    try:
        r.execute_command("LOCATE", "east", "24.3")
        check("bad coordinate is an error", False)
    except redis.ResponseError as e:
        check("bad coordinate is an error", "not a number" in str(e))
    check("connection usable after an error", r.ping())
    try:
        r.execute_command("RELOAD")
        check("reader cannot RELOAD", False)
    except redis.ResponseError as e:
        check("reader cannot RELOAD", "no permissions" in str(e))
    planner = redis.Redis(port=port, username="planner", password="planner-secret", decode_responses=True,
                          socket_timeout=60)
    check("planner RELOAD", str(planner.execute_command("RELOAD")).startswith("OK"))
    info = r.info()
    check("INFO parses", info.get("grids") == 674)
    resp3 = redis.Redis(port=port, password="reader-secret", protocol=3, decode_responses=True, socket_timeout=60)
    check("RESP3 client", json.loads(resp3.execute_command("LOCATE", 109.43, 24.30))["grid"] is not None)
finally:
    code = stop(server)
    log = server.stderr.read()
    check("graceful exit 0 on SIGTERM", code == 0)
    check("password never logged", "reader-secret" not in log and "planner-secret" not in log)
    check("start line logged", "gridmap listening" in log)

check.finish("redis-py")
