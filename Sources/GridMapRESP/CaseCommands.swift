import GridMapCore

/// The case log's commands. Each reads its arguments into the engine's case request and runs
/// it off the event loop (a report or an action is a durable write). A reader reports; a
/// planner acts as a dispatcher, an account as its role (`CaseDesk.actor`).
enum CaseCommands {
    /// CASE REPORT lon lat category [options] | CASE GET id | CASE ACT id action [options]
    static func `case`(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let sub = try a.text(0).uppercased()
        let service = s.service, role = s.role, user = s.user
        switch sub {
        case "REPORT":
            guard a.count >= 4 else {
                throw CommandError("wrong number of arguments for 'case report': CASE REPORT lon lat category "
                                   + "[CRS c] [ADDRESS text] [DESCRIPTION text] [SOURCE s] [KEY k] [MEDIA url] "
                                   + "[NAME n] [PHONE p] [EMAIL e] [ATTRIBUTE code=value …]")
            }
            let o = try a.options(from: 4, allowed: ["CRS", "ADDRESS", "DESCRIPTION", "SOURCE", "KEY", "MEDIA",
                                                     "NAME", "PHONE", "EMAIL", "ATTRIBUTE"])
            // ATTRIBUTE code=value, once per value (a multivaluelist's too).
            let attributes = try CaseAttributes(codeEqualsValue: try a.repeated("ATTRIBUTE", from: 4))
            func text(_ name: String) throws -> String? { try o[name].map { try a.text($0) } }
            let place: CaseReportRequest.Place = try text("ADDRESS").map { .address($0) }
                ?? .point(PointQuery(lon: try a.number(1, "longitude"), lat: try a.number(2, "latitude"),
                                     crs: try text("CRS")))
            let source = try text("SOURCE").map { value -> CaseSource in
                guard let s = CaseSource(rawValue: value.lowercased()) else {
                    throw CaseError(.badCase, "unknown source '\(value.prefix(40))'; one of "
                                    + CaseSource.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return s
            } ?? .handheld
            let request = try CaseReportRequest(
                place: place, category: try a.text(3), description: try text("DESCRIPTION") ?? "", source: source,
                media: try text("MEDIA").map { [$0] } ?? [],
                contact: CaseContact(name: try text("NAME"), phone: try text("PHONE"), email: try text("EMAIL")),
                key: try text("KEY"), attributes: attributes)
            // Answered once its group's commit is durable; no thread or task waits meanwhile.
            return s.handing { reply in
                try request.answerGrouped(MapView(service), actor: try actorOf(service, role, user)) {
                    reply($0.map { .bulkString($0) })
                }
            }
        case "STATS":
            // CASE STATS BY level FROM t TO t [ATTRIBUTION a] [ASOF t] [MINIMUM n] [FORMAT f] [ID ids]
            guard a.count % 2 == 1 else {
                throw CommandError("CASE STATS takes name value pairs: BY grid FROM t TO t [ATTRIBUTION a] [ASOF t]")
            }
            let pairs = try stride(from: 1, to: a.count, by: 2).map { (try a.text($0), try a.text($0 + 1)) }
            let request = try CaseStatsRequest(pairs)
            return s.offLoop { .bulkString(try request.answer(MapView(service))) }
        case "GET":
            guard a.count == 2 else { throw CommandError("wrong number of arguments for 'case get': CASE GET id") }
            let request = try CaseGetRequest(try a.text(1))
            return s.offLoop {
                .bulkString(try request.answer(MapView(service), actor: try actorOf(service, role, user)))
            }
        case "ACT":
            guard a.count >= 3 else {
                throw CommandError("wrong number of arguments for 'case act': CASE ACT id action [NOTE text] "
                                   + "[TO unit] [DUE time] [EXPECT n] [MEDIA url] [DUPLICATE id]")
            }
            let o = try a.options(from: 3, allowed: ["NOTE", "TO", "DUE", "EXPECT", "MEDIA", "DUPLICATE"])
            func text(_ name: String) throws -> String? { try o[name].map { try a.text($0) } }
            let request = try CaseActRequest(
                id: try a.text(1), action: try a.text(2), note: try text("NOTE"), unit: try text("TO"),
                due: try text("DUE"), expect: try text("EXPECT"), media: try text("MEDIA").map { [$0] } ?? [],
                duplicateOf: try text("DUPLICATE"))
            return s.handing { reply in
                try request.answerGrouped(MapView(service), actor: try actorOf(service, role, user)) {
                    reply($0.map { .bulkString($0) })
                }
            }
        default:
            throw CommandError("unknown subcommand '\(sub.prefix(20))' of 'case': REPORT, GET, ACT or STATS")
        }
    }

    /// CASES [name value]…: the filters of `CaseListRequest` as pairs (GRID g STAGE s OVERDUE 1 …).
    /// Who acts (an account's role read from the store: called off the event loop).
    static func actorOf(_ service: MapService, _ role: Role, _ user: String) throws -> CaseActor {
        try service.cases.actor(role: role, user: user)
    }

    static func cases(_ a: Arguments, _ s: Session) throws -> RESPValue {
        guard a.count % 2 == 0 else {
            throw CommandError("CASES takes filters as name value pairs (GRID id, STAGE s, OVERDUE true, …)")
        }
        let pairs = try stride(from: 0, to: a.count, by: 2).map { (try a.text($0), try a.text($0 + 1)) }
        let request = try CaseListRequest(pairs)
        let service = s.service, role = s.role, user = s.user
        return s.offLoop { .bulkString(try request.answer(MapView(service), actor: try actorOf(service, role, user))) }
    }
}
