"""A publishing process killed with SIGKILL, 50 times: before, during and after its commit.

Usage: python3 tools/clients/test_store_durability.py PATH/TO/gridmap
Makes a store with two versions, then 50 times starts `gridmap store rollback` to the one of
the two whose content the head does not hold (so that each run publishes a new version) and
kills it with SIGKILL. Every fifth run is killed as soon as its new version's row is visible
(the version table polled): a kill just after the commit, however fast or slow the machine is
then, and its time to the commit the new measure of a publish's usual duration. The others
are killed after a random delay within twice that duration, so that kills land before the
commit and in the middle of writing the rows as well as after. After every kill: SQLite's
integrity check is ok, `gridmap store verify` reads the head back with the counts it recorded
(every version at every tenth kill and at the end: no half-written version is visible),
version ids run 1..head without a gap, and
`gridmap locate` answers from the head. Prints how many kills landed before and after the
commit, and 'N passed, N failed'.
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
usual = time.monotonic() - t  # measured again at every fifth kill, from its time to the commit
measured = [usual]


def newest():
    """The newest version row a reader sees: a publish's row is visible once it has committed."""
    db = sqlite3.connect(store, timeout=60)
    try:
        return db.execute("SELECT max(id) FROM version").fetchone()[0]
    finally:
        db.close()


random.seed(7)
committed = interrupted = 0
head, holds = 3, "1"  # version 3 is the rollback to 1: it holds version 1's content
for k in range(50):
    target = "2" if holds == "1" else "1"
    p = subprocess.Popen([binary, "store", "rollback", target, "--store", store],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    if k % 5 == 0:
        # Killed the moment its version is committed (or as soon as it has ended, when it was
        # quicker than the polling). A bound for a slow machine only: 120 s.
        while p.poll() is None and newest() <= head and time.monotonic() - started < 120:
            time.sleep(0.002)
        usual = time.monotonic() - started
        measured.append(usual)
    else:
        time.sleep(random.uniform(0, usual * 2.0))
    p.kill()
    p.wait()
    # SQLite's integrity check is also the first step of `gridmap store verify` below: here
    # through Python's own sqlite3 every tenth kill.
    whole = k % 10 == 9
    db = sqlite3.connect(store)
    if whole:
        check("integrity_check ok", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    ids = [row[0] for row in db.execute("SELECT id FROM version ORDER BY id")]
    db.close()
    check("versions 1..head without a gap", ids == list(range(1, len(ids) + 1)), ids[-3:])
    if ids[-1] > head:
        committed += 1
        holds = target
    else:
        interrupted += 1
    head = ids[-1]
    # A kill can leave at most its own version half-written: the head is read back after every
    # kill (the chain checked whole), the whole history every tenth kill and at the end.
    verify = gridmap("store", "verify", "--store", store, *([] if whole else ["--from", str(head)]), ok=False)
    check("every version reads back complete" if whole else "the head reads back complete, the chain whole",
          verify.returncode == 0, verify.stderr)
    located = json.loads(gridmap("locate", "109.43", "24.30", "--store", store).stdout)
    check("the head is served", located["data_version"] == str(head), located["data_version"])

print(f"{committed + interrupted} kills of a publish, {len(measured) - 1} on seeing its commit, the others within "
      f"twice its time to the commit (measured at {min(measured):.2f}–{max(measured):.2f} s) of starting it: "
      f"{interrupted} before its commit, {committed} after")
check("some kills interrupted a publish", interrupted > 0)
check("some publishes committed", committed > 0)
check.finish("durability")
