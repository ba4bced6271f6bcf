import GridMapCore

/// A command: its arity in Redis's convention (n exact, -n at least n, counting the name),
/// the role it needs, and its handler.
struct CommandSpec: Sendable {
    let name: String
    let arity: Int
    let role: Role
    let flags: [String]
    let run: @Sendable (Arguments, Session) throws -> RESPValue
}

/// Every command the server speaks; `docs/PROTOCOL.md` documents each.
enum CommandTable {
    static let version = "0.2.0"

    static let all: [String: CommandSpec] = Dictionary(uniqueKeysWithValues: [
        CommandSpec(name: "ping", arity: -1, role: .none, flags: ["fast"], run: ConnectionCommands.ping),
        CommandSpec(name: "hello", arity: -1, role: .none, flags: ["fast"], run: ConnectionCommands.hello),
        CommandSpec(name: "auth", arity: -2, role: .none, flags: ["fast", "no-auth"], run: ConnectionCommands.auth),
        CommandSpec(name: "quit", arity: -1, role: .none, flags: ["fast"], run: ConnectionCommands.quit),
        CommandSpec(name: "command", arity: -1, role: .reader, flags: [], run: ConnectionCommands.command),
        CommandSpec(name: "info", arity: -1, role: .reader, flags: [], run: ConnectionCommands.info),
        CommandSpec(name: "client", arity: -2, role: .reader, flags: ["fast"], run: ConnectionCommands.client),
        CommandSpec(name: "config", arity: -2, role: .reader, flags: [], run: ConnectionCommands.config),
        CommandSpec(name: "select", arity: 2, role: .reader, flags: ["fast"], run: ConnectionCommands.select),
        CommandSpec(name: "locate", arity: -3, role: .reader, flags: ["readonly", "fast"], run: LookupCommands.locate),
        CommandSpec(name: "nearby", arity: -3, role: .reader, flags: ["readonly"], run: LookupCommands.nearby),
        CommandSpec(name: "grid", arity: 2, role: .reader, flags: ["readonly"], run: LookupCommands.grid),
        CommandSpec(name: "grids", arity: -1, role: .reader, flags: ["readonly"], run: LookupCommands.grids),
        CommandSpec(name: "neighbors", arity: 2, role: .reader, flags: ["readonly"], run: LookupCommands.neighbors),
        CommandSpec(name: "intersects", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.intersects),
        CommandSpec(name: "geocode", arity: -2, role: .reader, flags: ["readonly"], run: LookupCommands.geocode),
        CommandSpec(name: "locateaddr", arity: 2, role: .reader, flags: ["readonly"], run: LookupCommands.locateAddress),
        CommandSpec(name: "reload", arity: 1, role: .planner, flags: ["write"], run: ConnectionCommands.reload),
    ].map { ($0.name, $0) })

    /// Runs one request and returns its reply; never throws, so one bad request costs only
    /// an error reply.
    static func execute(_ request: [RESPValue], _ session: Session) -> RESPValue {
        guard let nameBytes = request.first?.bytes else { return .error("ERR Protocol error: expected a command name") }
        let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
        guard let spec = all[name] else {
            return .error("ERR unknown command '\(name.prefix(40))', with args beginning with: \(request.dropFirst().prefix(3).compactMap(\.text).map { "'\($0.prefix(20))'" }.joined(separator: " "))")
        }
        let argc = request.count
        guard spec.arity >= 0 ? argc == spec.arity : argc >= -spec.arity else {
            return .error("ERR wrong number of arguments for '\(name)' command")
        }
        if session.role < spec.role {
            if session.role == .none { return .error("NOAUTH Authentication required.") }
            return .error("NOPERM this user has no permissions to run the '\(name)' command")
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let reply: RESPValue
        do {
            reply = try spec.run(Arguments(command: name, values: Array(request.dropFirst())), session)
        } catch let e as CommandError {
            reply = e.reply
        } catch {
            reply = .error("ERR \(error)")
        }
        var failed = false
        if case .error = reply { failed = true }
        session.localStats[name, default: ServerStats.Command()].record(nanos: DispatchTime.now().uptimeNanoseconds - started, failed: failed)
        return reply
    }
}

import Dispatch
