"""A publishing process killed with SIGKILL at random moments, 50 times.

Usage: python3 tools/clients/test_store_durability.py PATH/TO/gridmap
Makes a store with two versions, then 50 times starts `gridmap store rollback` (alternating
targets, so each run publishes a new version) and kills it with SIGKILL after a random
delay within twice its usual duration (so that some kills land after the commit). After every kill: SQLite's integrity check is ok,
`gridmap store verify` reads every version back with the counts it recorded (no half-written
version is visible), version ids run 1..head without a gap, and `gridmap locate` answers
from the head. Prints how many kills landed before and after the commit, and
'N passed, N failed'.
"""
import json, os, random, sqlite3, subprocess, sys, tempfile, time

from harness import Checks, run

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gridmap"
work = tempfile.mkdtemp(prefix="gridmap-durability-")
store = os.path.join(work, "map.gridmap")
check = Checks()


def gridmap(*args, ok=True):
    return run(binary, *args, ok=ok)


gridmap("store", "import", "data/yufeng", "--store", store)
edited = os.path.join(work, "edited")
gridmap("store", "export", edited, "--store", store)
path = os.path.join(edited, "grids.geojson")
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace('"name":"', '"name":"改', 1))
# Every address changes too, so that a publish writes tens of thousands of rows and kills
# land in the middle of writing them as well as before and after.
path = os.path.join(edited, "addresses.csv")
lines = open(path, encoding="utf-8").read().split("\n")
open(path, "w", encoding="utf-8").write("\n".join(
    [lines[0]] + [l.replace(",", ",新", 1).replace(",新", ",", 1).replace("号", "号 ", 1) for l in lines[1:]]))
gridmap("store", "import", edited, "--store", store)

t = time.monotonic()
gridmap("store", "rollback", "1", "--store", store)
usual = time.monotonic() - t
random.seed(7)
committed = interrupted = 0
head = 3
for k in range(50):
    target = "2" if k % 2 == 0 else "1"
    p = subprocess.Popen([binary, "store", "rollback", target, "--store", store],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, usual * 2.0))
    p.kill()
    p.wait()
    db = sqlite3.connect(store)
    check("integrity_check ok", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    ids = [row[0] for row in db.execute("SELECT id FROM version ORDER BY id")]
    db.close()
    check("versions 1..head without a gap", ids == list(range(1, len(ids) + 1)), ids[-3:])
    if ids[-1] > head:
        committed += 1
    else:
        interrupted += 1
    head = ids[-1]
    verify = gridmap("store", "verify", "--store", store, ok=False)
    check("every version reads back complete", verify.returncode == 0, verify.stderr)
    located = json.loads(gridmap("locate", "109.43", "24.30", "--store", store).stdout)
    check("the head is served", located["data_version"] == str(head), located["data_version"])

print(f"{committed + interrupted} kills within {usual * 2.0:.2f} s of starting a publish: "
      f"{interrupted} before its commit, {committed} after")
check("some kills interrupted a publish", interrupted > 0)
check("some publishes committed", committed > 0)
check.finish("durability")
