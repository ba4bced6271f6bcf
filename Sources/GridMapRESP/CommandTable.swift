import GridMapCore
import GridMapPlanning

/// A command: its arity in Redis's convention (n exact, -n at least n, counting the name),
/// the role it needs, and its handler. A class, so looking one up per request costs one
/// reference count rather than one per field.
final class CommandSpec: Sendable {
    let name: String
    let arity: Int
    let role: Role
    let flags: [String]
    let run: @Sendable (Arguments, Session) throws -> RESPValue

    init(
        name: String, arity: Int, role: Role, flags: [String],
        run: @escaping @Sendable (Arguments, Session) throws -> RESPValue
    ) {
        (self.name, self.arity, self.role, self.flags, self.run) = (name, arity, role, flags, run)
    }
}

/// Every command the server speaks; `docs/PROTOCOL.md` documents each.
enum CommandTable {
    static let version = "0.2.0"

    /// In name order; a command's position is its index in statistics.
    static let specs: [CommandSpec] = [
        CommandSpec(name: "ping", arity: -1, role: .none, flags: ["fast", "pubsub"], run: ConnectionCommands.ping),
        CommandSpec(name: "hello", arity: -1, role: .none, flags: ["fast"], run: ConnectionCommands.hello),
        CommandSpec(name: "auth", arity: -2, role: .none, flags: ["fast", "no-auth"], run: ConnectionCommands.auth),
        CommandSpec(name: "quit", arity: -1, role: .none, flags: ["fast", "pubsub"], run: ConnectionCommands.quit),
        CommandSpec(name: "command", arity: -1, role: .reader, flags: [], run: ConnectionCommands.command),
        CommandSpec(name: "info", arity: -1, role: .reader, flags: [], run: ConnectionCommands.info),
        CommandSpec(name: "client", arity: -2, role: .reader, flags: ["fast"], run: ConnectionCommands.client),
        CommandSpec(name: "config", arity: -2, role: .reader, flags: [], run: ConnectionCommands.config),
        CommandSpec(name: "select", arity: 2, role: .reader, flags: ["fast"], run: ConnectionCommands.select),
        CommandSpec(name: "locate", arity: -3, role: .reader, flags: ["readonly", "fast"], run: LookupCommands.locate),
        CommandSpec(name: "nearby", arity: -3, role: .reader, flags: ["readonly"], run: LookupCommands.nearby),
        CommandSpec(name: "grid", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.grid),
        CommandSpec(name: "grids", arity: -1, role: .reader, flags: ["readonly"], run: LookupCommands.grids),
        CommandSpec(name: "neighbors", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.neighbors),
        CommandSpec(name: "intersects", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.intersects),
        CommandSpec(name: "geocode", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.geocode),
        CommandSpec(
            name: "locateaddr", arity: 2, role: .reader, flags: ["readonly"], run: LookupCommands.locateAddress),
        CommandSpec(name: "route", arity: -4, role: .reader, flags: ["readonly", "fast"], run: LookupCommands.route),
        CommandSpec(
            name: "routeaddr", arity: 3, role: .reader, flags: ["readonly"], run: LookupCommands.routeAddress),
        CommandSpec(name: "case", arity: -3, role: .reader, flags: ["write"], run: CaseCommands.case),
        CommandSpec(name: "cases", arity: -1, role: .reader, flags: ["readonly"], run: CaseCommands.cases),
        CommandSpec(name: "plan", arity: -2, role: .planner, flags: ["write"], run: PlanCommands.plan),
        CommandSpec(
            name: "revgeocode", arity: -3, role: .reader, flags: ["readonly"], run: LookupCommands.reverseGeocode),
        CommandSpec(name: "reload", arity: 1, role: .planner, flags: ["write"], run: StoreCommands.reload),
        CommandSpec(name: "versions", arity: -1, role: .reader, flags: ["readonly"], run: StoreCommands.versions),
        CommandSpec(name: "version", arity: 2, role: .reader, flags: ["readonly"], run: StoreCommands.version),
        CommandSpec(name: "diff", arity: 3, role: .reader, flags: ["readonly"], run: StoreCommands.diff),
        CommandSpec(name: "rollback", arity: -2, role: .planner, flags: ["write"], run: StoreCommands.rollback),
        CommandSpec(name: "subscribe", arity: -2, role: .reader, flags: ["pubsub"], run: PubSubCommands.subscribe),
        CommandSpec(name: "unsubscribe", arity: -1, role: .reader, flags: ["pubsub"], run: PubSubCommands.unsubscribe),
        CommandSpec(name: "psubscribe", arity: -2, role: .reader, flags: ["pubsub"], run: PubSubCommands.psubscribe),
        CommandSpec(
            name: "punsubscribe", arity: -1, role: .reader, flags: ["pubsub"], run: PubSubCommands.punsubscribe),
        // The command-line names, so one name works in both (docs/PROTOCOL.md lists each beside its RESP name).
        CommandSpec(
            name: "route-address", arity: 3, role: .reader, flags: ["readonly"], run: LookupCommands.routeAddress),
        CommandSpec(name: "neighbours", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.neighbors),
        CommandSpec(name: "area", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.intersects),
        CommandSpec(name: "reverse", arity: -3, role: .reader, flags: ["readonly"], run: LookupCommands.reverseGeocode),
    ].sorted { $0.name < $1.name }

    static let all: [String: CommandSpec] = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
    private static let names: [[UInt8]] = specs.map { Array($0.name.utf8) }

    /// The index of the command a request names, matched case-insensitively on its bytes
    /// (every name is lowercase letters, so setting bit 5 folds case exactly).
    static func index(named name: UnsafeRawBufferPointer) -> Int? {
        search: for (k, candidate) in names.enumerated() where candidate.count == name.count {
            for i in 0..<name.count where candidate[i] != name[i] | 0x20 { continue search }
            return k
        }
        return nil
    }

    /// The error reply for a failure, the one place RESP maps errors: RESP's own refusals
    /// (syntax, authentication) as Redis words them; an engine error as `-ERR code message`,
    /// its code and message those every skin gives. An error of no known kind is the server's:
    /// logged, and said to be internal. A store's path is shown to planners only.
    static func reply(for error: Error, _ view: ErrorView) -> RESPValue {
        if let e = error as? CommandError { return e.reply }
        if error.errorKind == .internal { view.logger.error("internal error", metadata: ["error": "\(error)"]) }
        return .error("ERR \(error.errorCode) \(error.clientMessage(planner: view.planner))")
    }

    /// Runs one request and returns its reply; never throws, so one bad request costs only
    /// an error reply.
    static func execute(_ request: RESPRequest, _ session: Session) -> RESPValue {
        guard let index = request.withBytes(0, { $0.flatMap(index(named:)) }) else {
            // Checked only here, among names that are no command: no cost on any real request.
            if let word = CrossProtocolGuard.httpWord(request) {
                session.crossProtocolWord = word
                return .null
            }
            guard let name = request.text(0) else { return .error("ERR Protocol error: expected a command name") }
            let args = (1..<max(1, min(request.count, 4))).compactMap(request.text).map { "'\($0.prefix(20))'" }
            return .error(
                "ERR unknown command '\(name.lowercased().prefix(40))', "
                    + "with args beginning with: \(args.joined(separator: " "))")
        }
        let spec = specs[index]
        let argc = request.count
        guard spec.arity >= 0 ? argc == spec.arity : argc >= -spec.arity else {
            return .error("ERR wrong number of arguments for '\(spec.name)' command")
        }
        if session.role < spec.role {
            if session.role == .none { return .error("NOAUTH Authentication required.") }
            return .error("NOPERM this user has no permissions to run the '\(spec.name)' command")
        }
        if !session.subscriptions.isEmpty && !spec.flags.contains("pubsub") {
            return .error("ERR Can't execute '\(spec.name)': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT / RESET "
                + "are allowed in this context")
        }
        session.willRun(index)
        let reply: RESPValue
        do {
            reply = try request.withArguments(command: spec.name) { try spec.run($0, session) }
        } catch {
            reply = CommandTable.reply(for: error, session.errorView)
        }
        var failed = false
        if case .error = reply { failed = true }
        session.localStats.count(index, failed: failed)
        return reply
    }
}
