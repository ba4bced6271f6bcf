"""The measures for every grid against two peers computing the same table from the same rows.

Usage: python3 tools/statspeers.py STORE [--binary B] [--rounds N] [--from D] [--to D] [--asof T]
STORE: a gridmap SQLite store with cases. Needs GRIDMAP_TEST_POSTGRES (a scratch PostgreSQL 15
with PostGIS: tools/pg.sh), and the PyPI packages duckdb and duckdb-extension-spatial (the
extension is loaded from the wheel: nothing is downloaded).

The cases' reports and events are read out of STORE into flat tables (report: id, time,
stamped grid, point, stamped due time; event: case, number, time, action, stage reached, new
due time) and loaded into PostgreSQL + PostGIS and into DuckDB + spatial; the current version's
grids are loaded with a GiST index (PostgreSQL) and as DuckDB geometries. Each peer computes
docs/STATISTICS.md's table per grid in one SQL statement: stamped (GROUP BY the stamped grid),
and on the current map (each case's point joined to the grid that covers it, the lowest id on
a shared edge, by ST_Covers). gridmap answers `GET /api/stats` on a running server. The rounds
interleave gridmap, PostgreSQL, DuckDB; medians are printed, then whether the three tables
agree (every count, every rate to 4 places, the hours to within 0.01).
"""
import argparse, csv, glob, json, os, re, shutil, sqlite3, statistics, subprocess, sys, tempfile, time
import urllib.error, urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "clients"))
from harness import free_port, wait_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("store")
ap.add_argument("--binary", default=".build/release/gridmap")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--from", dest="start", default="2025-12-01")
ap.add_argument("--to", default="2026-12-01")
ap.add_argument("--asof", default="2026-12-07T00:00:00+08:00")
args = ap.parse_args()
pg = os.environ.get("GRIDMAP_TEST_POSTGRES")
if not pg:
    sys.exit("GRIDMAP_TEST_POSTGRES is not set (bash tools/pg.sh start DIR PORT)")

china = timezone(timedelta(hours=8))
def ms(text):
    d = datetime.fromisoformat(text)
    return int((d if d.tzinfo else d.replace(tzinfo=china)).timestamp() * 1000)
F, T, ASOF = ms(args.start), ms(args.to), ms(args.asof)
END = min(T, ASOF + 1)

work = tempfile.mkdtemp(prefix="gridmap-statspeers-")
try:
    # The rows, flat.
    db = sqlite3.connect(args.store)
    with open(os.path.join(work, "report.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for row in db.execute("SELECT id, reported_ms, grid, lon, lat, json_extract(body, '$.due_ms') "
                              "FROM case_report"):
            w.writerow(row)
    with open(os.path.join(work, "event.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for case_id, seq, at, body in db.execute("SELECT case_id, seq, at_ms, body FROM case_event WHERE seq > 1"):
            b = json.loads(body)
            w.writerow([case_id, seq, at, b.get("action", ""), b["to"], b.get("due_ms", "")])
    db.close()
    subprocess.run([args.binary, "store", "export", os.path.join(work, "map"), "--store", args.store], check=True,
                   stdout=subprocess.DEVNULL)
    grids = json.load(open(os.path.join(work, "map", "grids.geojson"), encoding="utf-8"))["features"]
    with open(os.path.join(work, "grid.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for g in grids:
            w.writerow([g["properties"]["id"], json.dumps(g["geometry"])])

    # One statement per attribution, the same in both peers but for a few spellings.
    def measures(dialect, spatial):
        last_due = ("(array_agg(due_ms ORDER BY seq DESC) FILTER (WHERE action = 'extend'))[1]" if dialect == "pg"
                    else "arg_max(due_ms, seq) FILTER (WHERE action = 'extend')")
        if spatial:
            # Points joined to the grids covering them (the lowest id on a shared edge); in
            # PostgreSQL against a point table with a GiST index of its own, so that the planner
            # can run each grid against its points (PostGIS then prepares the polygon once).
            keyed = """k AS (SELECT x.*, cover.key FROM x LEFT JOIN (SELECT p.id, min(g.id) AS key FROM point p
                              JOIN grid g ON ST_Covers(g.geom, p.geom) GROUP BY p.id) cover ON cover.id = x.id)"""
            if dialect != "pg":
                keyed = keyed.replace("FROM point p", "FROM (SELECT id, ST_Point(lon, lat) AS geom FROM report) p")
        else:
            keyed = "k AS (SELECT x.*, x.grid AS key FROM x)"
        if dialect == "pg":
            hours = """round(avg(h)::numeric, 2) AS mean_h,
                       round((percentile_disc(0.5) WITHIN GROUP (ORDER BY h))::numeric, 2) AS median_h,
                       round((percentile_disc(0.9) WITHIN GROUP (ORDER BY h))::numeric, 2) AS p90_h"""
        else:
            hours = """round(avg(h), 2) AS mean_h,
                       round(list_sort(list(h) FILTER (WHERE h IS NOT NULL))[greatest(1, ceil(0.5 * count(h))::int)], 2)
                         AS median_h,
                       round(list_sort(list(h) FILTER (WHERE h IS NOT NULL))[greatest(1, ceil(0.9 * count(h))::int)], 2)
                         AS p90_h"""
        inp = lambda col: f"({col} >= {F} AND {col} < {T})"
        return f"""
        WITH ev AS (SELECT * FROM event WHERE at_ms <= {ASOF}),
        per AS (SELECT case_id,
                  min(at_ms) FILTER (WHERE action = 'accept') AS acc,
                  min(at_ms) FILTER (WHERE action = 'refuse') AS ref,
                  min(at_ms) FILTER (WHERE action = 'dispatch') AS dis,
                  min(at_ms) FILTER (WHERE action = 'void') AS voi,
                  bool_or(action = 'fail' AND {inp('at_ms')}) AS rew,
                  bool_or(action = 'handle' AND {inp('at_ms')}) AS han,
                  bool_or(action = 'extend' AND {inp('at_ms')}) AS ext,
                  max(at_ms) FILTER (WHERE to_stage = 'closed') AS closed,
                  {last_due} AS ext_due
                FROM ev GROUP BY case_id),
        c AS (SELECT r.id, r.reported_ms, r.grid, r.lon, r.lat, p.acc, p.ref, p.dis, p.voi,
                COALESCE(p.rew, false) AS rew, COALESCE(p.han, false) AS han, COALESCE(p.ext, false) AS ext,
                p.closed, COALESCE(p.ext_due, r.due_ms) AS due
              FROM report r LEFT JOIN per p ON p.case_id = r.id
              WHERE r.reported_ms < {T} AND r.reported_ms <= {ASOF}),
        sd AS (SELECT DISTINCT ON (e.case_id) e.case_id, e.to_stage FROM ev e JOIN c ON c.id = e.case_id
               WHERE e.at_ms <= c.due ORDER BY e.case_id, e.seq DESC),
        se AS (SELECT DISTINCT ON (e.case_id) e.case_id, e.to_stage FROM ev e
               WHERE e.at_ms <= {END - 1} ORDER BY e.case_id, e.seq DESC),
        x AS (SELECT c.*, COALESCE(sd.to_stage, 'reported') AS st_due, COALESCE(se.to_stage, 'reported') AS st_end,
                COALESCE({inp('c.closed')}, false) AS closed_in
              FROM c LEFT JOIN sd ON sd.case_id = c.id LEFT JOIN se ON se.case_id = c.id),
        {keyed},
        y AS (SELECT k.*, ({inp('due')} AND due < {END} AND st_due NOT IN ('refused', 'voided')) AS is_due,
                CASE WHEN closed_in AND acc IS NOT NULL THEN (closed - acc) / 3600000.0 END AS h
              FROM k WHERE key IS NOT NULL)
        SELECT key,
          count(*) FILTER (WHERE {inp('reported_ms')}) AS reported,
          count(*) FILTER (WHERE {inp('acc')}) AS accepted,
          count(*) FILTER (WHERE {inp('ref')}) AS refused,
          count(*) FILTER (WHERE {inp('dis')}) AS dispatched,
          count(*) FILTER (WHERE closed_in) AS closed,
          count(*) FILTER (WHERE is_due AND closed IS NOT NULL AND closed <= due) AS closed_on_time,
          count(*) FILTER (WHERE is_due) AS due,
          count(*) FILTER (WHERE is_due AND st_due = 'deferred') AS deferred,
          count(*) FILTER (WHERE closed_in AND closed > due)
            + count(*) FILTER (WHERE st_end NOT IN ('refused', 'closed', 'voided', 'deferred') AND due < {END - 1}
                                 AND reported_ms < {END} AND NOT closed_in) AS overdue,
          count(*) FILTER (WHERE rew) AS reworked,
          count(*) FILTER (WHERE han) AS handled,
          count(*) FILTER (WHERE is_due AND ext) AS extended,
          count(*) FILTER (WHERE {inp('voi')}) AS voided,
          {hours}
        FROM y GROUP BY key ORDER BY key"""

    names = ["reported", "accepted", "refused", "dispatched", "closed", "closed_on_time", "due", "deferred",
             "overdue", "reworked", "handled", "extended", "voided"]
    def normal(rows):
        """Rows with something in the period, by id: the counts, the rates to 4 places, the hours to 2."""
        out = {}
        for r in rows:
            counts = [int(r[n]) for n in names]
            if not any(counts):
                continue
            base = r["due"] - r["deferred"] if isinstance(r["due"], int) else int(r["due"]) - int(r["deferred"])
            d = dict(zip(names, counts))
            rate = lambda num, den: round(num / den, 4) if den > 0 else None
            hours = [None if r[k] in (None, "") else round(float(r[k]), 2) for k in ("mean_h", "median_h", "p90_h")]
            out[r["key"]] = (tuple(counts), rate(d["closed"], base), rate(d["closed_on_time"], base),
                             rate(d["reworked"], d["handled"]), rate(d["extended"], base), tuple(hours))
        return out

    # PostgreSQL + PostGIS.
    def psql(sql, *extra):
        return subprocess.run(["psql", pg, "-v", "ON_ERROR_STOP=1", "-X", "-q", *extra], input=sql, text=True,
                              capture_output=True, check=True).stdout
    psql(f"""DROP SCHEMA IF EXISTS statspeer CASCADE; CREATE SCHEMA statspeer; SET search_path = statspeer, public;
        CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public;
        CREATE TABLE report (id bigint PRIMARY KEY, reported_ms bigint, grid text, lon float8, lat float8,
                             due_ms bigint);
        CREATE TABLE event (case_id bigint, seq int, at_ms bigint, action text, to_stage text, due_ms bigint,
                            PRIMARY KEY (case_id, seq));
        CREATE TABLE grid_in (id text, g text);
        \\copy report FROM '{work}/report.csv' CSV
        \\copy event FROM '{work}/event.csv' CSV
        \\copy grid_in FROM '{work}/grid.csv' CSV
        CREATE TABLE grid AS SELECT id, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326) AS geom FROM grid_in;
        CREATE INDEX ON grid USING gist (geom); CREATE INDEX ON event (at_ms);
        CREATE TABLE point AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM report;
        CREATE INDEX ON point USING gist (geom); ANALYZE point;
        ANALYZE report; ANALYZE event; ANALYZE grid;""")
    def pg_rows(spatial):
        text = psql("SET search_path = statspeer, public;\n" + measures("pg", spatial), "--csv")
        return list(csv.DictReader(text.splitlines()))
    def pg_time(spatial):
        out = psql("SET search_path = statspeer, public;\n\\timing on\n\\o /dev/null\n" + measures("pg", spatial)
                   + ";\n")
        return float(re.findall(r"Time: ([0-9.]+) ms", out)[-1])

    # DuckDB + spatial, from the wheel.
    import duckdb, duckdb_extension_spatial
    extension = glob.glob(os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions", "*",
                                       "spatial.duckdb_extension"))[0]
    duck = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    duck.execute(f"LOAD '{extension}'")
    duck.execute(f"""CREATE TABLE report AS SELECT * FROM read_csv('{work}/report.csv', header = false,
        columns = {{'id': 'BIGINT', 'reported_ms': 'BIGINT', 'grid': 'VARCHAR', 'lon': 'DOUBLE', 'lat': 'DOUBLE',
                   'due_ms': 'BIGINT'}})""")
    duck.execute(f"""CREATE TABLE event AS SELECT * FROM read_csv('{work}/event.csv', header = false,
        columns = {{'case_id': 'BIGINT', 'seq': 'INTEGER', 'at_ms': 'BIGINT', 'action': 'VARCHAR',
                   'to_stage': 'VARCHAR', 'due_ms': 'BIGINT'}})""")
    duck.execute(f"""CREATE TABLE grid AS SELECT column0 AS id, ST_GeomFromGeoJSON(column1) AS geom
        FROM read_csv('{work}/grid.csv', header = false, columns = {{'column0': 'VARCHAR', 'column1': 'VARCHAR'}})""")
    def duck_rows(spatial):
        cur = duck.execute(measures("duck", spatial))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    # gridmap.
    store = os.path.join(work, "served.gridmap")
    shutil.copyfile(args.store, store)
    port, http = free_port(), free_port()
    server = subprocess.Popen([args.binary, "serve", "--store", store, "--port", str(port), "--http-port", str(http)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(http)
        q = lambda a: (f"http://127.0.0.1:{http}/api/stats?by=grid&from={args.start}&to={args.to}"
                       f"&asof={args.asof.replace('+', '%2B')}&attribution={a}&minimum=0")
        def gm_rows(attribution):
            for _ in range(600):
                try:
                    with urllib.request.urlopen(q(attribution), timeout=900) as resp:
                        body = json.load(resp)
                    break
                except urllib.error.HTTPError as e:
                    if e.code != 503:
                        raise
                    time.sleep(0.1)
            rows = []
            for r in body["rows"]:
                t = r["time_to_close_hours"]
                rows.append({"key": r["id"], **{n: r[n] for n in names}, "mean_h": t["mean"], "median_h": t["median"],
                             "p90_h": t["p90"]})
            return rows
        results = {}
        for label, spatial in (("stamped", False), ("current map", True)):
            answers = {"gridmap": normal(gm_rows("stamped" if not spatial else "current")),
                       "PostgreSQL": normal(pg_rows(spatial)), "DuckDB": normal(duck_rows(spatial))}
            timings = {k: [] for k in answers}
            for _ in range(args.rounds):
                t = time.perf_counter(); gm_rows("stamped" if not spatial else "current")
                timings["gridmap"].append((time.perf_counter() - t) * 1000)
                timings["PostgreSQL"].append(pg_time(spatial))
                t = time.perf_counter(); duck_rows(spatial)
                timings["DuckDB"].append((time.perf_counter() - t) * 1000)
            base = answers["gridmap"]
            def same(a, b):
                # Hours within 0.01: a mean summed in another order, or a tie (x.xx5 in decimal, not in
                # binary) rounded the other way.
                if a is None or b is None or a[:5] != b[:5]:
                    return a == b
                return all((x is None) == (y is None) and (x is None or abs(x - y) <= 0.0101)
                           for x, y in zip(a[5], b[5]))
            for peer in ("PostgreSQL", "DuckDB"):
                other = answers[peer]
                diff = [k for k in set(base) | set(other) if not same(base.get(k), other.get(k))]
                print(f"{label}: {peer} {'agrees on' if not diff else 'DIFFERS on'} "
                      f"{len(base) if not diff else len(diff)} grids"
                      + ("" if not diff else
                         f", e.g. {diff[0]}: gridmap {base.get(diff[0])} {peer} {other.get(diff[0])}"))
            med = {k: statistics.median(v) for k, v in timings.items()}
            print(f"{label}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in med.items())
                  + f" (medians of {args.rounds}); PostgreSQL ÷ gridmap {med['PostgreSQL'] / med['gridmap']:.1f}, "
                  f"DuckDB ÷ gridmap {med['DuckDB'] / med['gridmap']:.1f}", flush=True)
    finally:
        stop(server)
finally:
    shutil.rmtree(work, ignore_errors=True)
