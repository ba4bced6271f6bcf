/// The case log's tables, in the backend's dialect. The report and its events are
/// append-only (triggers refuse UPDATE and DELETE); `case_state` is an index of where each
/// case stands, rewritten with each event in the same transaction.
enum CaseSchema {
    static func table(_ name: String, _ d: CaseDialect) -> String { d == .postgres ? "gridmap.\(name)" : name }

    static func statements(_ d: CaseDialect) -> [String] {
        let report = table("case_report", d), event = table("case_event", d), state = table("case_state", d)
        let id = d == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY"
        let int = d == .postgres ? "BIGINT" : "INTEGER", real = d == .postgres ? "DOUBLE PRECISION" : "REAL"
        var s = [
            """
            CREATE TABLE IF NOT EXISTS \(report) (id \(id), key TEXT UNIQUE, reported_ms \(int) NOT NULL,
              category TEXT NOT NULL, source TEXT NOT NULL, version \(int) NOT NULL, lon \(real) NOT NULL,
              lat \(real) NOT NULL, grid TEXT NOT NULL, community TEXT NOT NULL, street TEXT NOT NULL, unit TEXT,
              department TEXT, body TEXT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(event) (case_id \(int) NOT NULL REFERENCES \(report)(id),
              seq \(int) NOT NULL, at_ms \(int) NOT NULL, body TEXT NOT NULL, PRIMARY KEY (case_id, seq))
            """,
            """
            CREATE TABLE IF NOT EXISTS \(state) (case_id \(int) PRIMARY KEY REFERENCES \(report)(id),
              stage TEXT NOT NULL, unit TEXT, due_ms \(int) NOT NULL, last_seq \(int) NOT NULL,
              updated_ms \(int) NOT NULL, body TEXT NOT NULL)
            """,
            // Accounts: a secret kept only as SecretHash's slow salted hash; re-keying and disabling
            // rewrite the row (what an account did is in the case events, under its name).
            """
            CREATE TABLE IF NOT EXISTS \(table("account", d)) (name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT,
              hash TEXT NOT NULL, disabled \(int) NOT NULL DEFAULT 0, created_ms \(int) NOT NULL,
              updated_ms \(int) NOT NULL)
            """,
        ]
        for (name, on) in [("grid", "\(report)(grid, reported_ms)"), ("community", "\(report)(community, reported_ms)"),
                           ("street", "\(report)(street, reported_ms)"), ("reported", "\(report)(reported_ms)"),
                           ("category", "\(report)(category, reported_ms)"), ("stage", "\(state)(stage, due_ms)"),
                           ("unit", "\(state)(unit, due_ms)"), ("unit_stage", "\(state)(unit, stage, due_ms)"),
                           ("updated", "\(state)(updated_ms)"),
                           ("event_time", "\(event)(at_ms)")] {
            s.append("CREATE INDEX IF NOT EXISTS case_by_\(name) ON \(on)")
        }
        switch d {
        case .sqlite:
            for t in ["case_report", "case_event"] {
                for op in ["UPDATE", "DELETE"] {
                    s.append("""
                        CREATE TRIGGER IF NOT EXISTS \(t)_no_\(op.lowercased()) BEFORE \(op) ON \(t)
                        BEGIN SELECT RAISE(ABORT, 'the case log is append-only'); END
                        """)
                }
            }
        case .postgres:
            // The events' append order (SQLite has it as the rowid): writers take turns, so it is
            // the order of commits, which `CaseHistoryCache` reads from. Logs made before it get it
            // numbered in their present order.
            // Only when missing: ALTER TABLE takes the table's exclusive lock even when it does nothing.
            s.append("""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'gridmap'
                                 AND table_name = 'case_event' AND column_name = 'n') THEN
                    ALTER TABLE \(event) ADD COLUMN n BIGSERIAL;
                  END IF;
                END $$
                """)
            s.append("CREATE INDEX IF NOT EXISTS case_event_order ON \(event)(n)")
            s.append("""
                CREATE OR REPLACE FUNCTION gridmap.case_append_only() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'the case log is append-only'; END $$
                """)
            for t in ["case_report", "case_event"] {
                s.append("""
                    CREATE OR REPLACE TRIGGER \(t)_append_only BEFORE UPDATE OR DELETE ON gridmap.\(t)
                    FOR EACH ROW EXECUTE FUNCTION gridmap.case_append_only()
                    """)
            }
        }
        return s
    }
}
