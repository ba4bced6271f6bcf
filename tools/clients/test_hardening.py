"""Abusive clients against a real `gridmap serve` process, measured from outside.

Usage: python3 tools/clients/test_hardening.py PATH/TO/gridmap
A client naming a new EPSG code with every LOCATE (three passes over 184 codes) once grew
the server by hundreds of MB for good. Checks that its resident memory grows by less than
40 MB, that a second and third pass over the same codes add no native handles (INFO), and
that memory does not keep growing once the client has left. Prints 'N passed, N failed'.
"""
import os, signal, subprocess, sys, time

import redis

from harness import Checks, free_port, wait_port

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
check = Checks()
port = free_port()
server = subprocess.Popen([binary, "serve", "--port", str(port)], stderr=subprocess.DEVNULL)


def rss_mib():
    with open(f"/proc/{server.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1


try:
    wait_port(port)
    r = redis.Redis(port=port, decode_responses=True)
    codes = list(range(32601, 32661)) + list(range(32701, 32761)) + list(range(4491, 4555))
    r.execute_command("LOCATE", 500000, 2700000, "CRS", "EPSG:4545")
    before, handles = rss_mib(), []
    for _ in range(3):
        for code in codes:
            try:
                r.execute_command("LOCATE", 500000, 2700000, "CRS", f"EPSG:{code}")
            except redis.ResponseError:
                pass  # outside that zone's domain: refused, which is fine
        handles.append(r.info()["native_handles"])
    after = rss_mib()
    r.close()
    time.sleep(1)
    left = rss_mib()
    print(f"CRS cycling: RSS {before:.1f} → {after:.1f} MiB ({after - before:+.1f}), {left:.1f} MiB after the client left; "
          f"native handles after each pass {handles}")
    check("RSS grows by less than 40 MiB", after - before < 40, f"{before:.1f} → {after:.1f}")
    check("later passes add no native handles", handles[2] <= handles[0] and handles[1] <= handles[0], handles)
    check("no growth after the client left", left <= after + 1, f"{after:.1f} → {left:.1f}")
    check("still serving", r.ping())
finally:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)

check.finish("hardening")
