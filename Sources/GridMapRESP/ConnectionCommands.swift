import GridMapCore
import GridMapPlanning

/// Commands about the connection and the server rather than the map.
enum ConnectionCommands {
    static func ping(_ a: Arguments, _ s: Session) throws -> RESPValue {
        guard a.count <= 1 else { throw CommandError("wrong number of arguments for 'ping' command") }
        if !s.subscriptions.isEmpty && s.protocolVersion < 3 {
            return .push([.bulk("pong"), .bulkString(a.bytes(0) ?? [])])
        }
        return a.count == 1 ? .bulkString(a.bytes(0) ?? []) : .simpleString("PONG")
    }

    /// HELLO [protover [AUTH user pass] [SETNAME name]]
    static func hello(_ a: Arguments, _ s: Session) throws -> RESPValue {
        var version = s.protocolVersion
        var i = 0
        if a.count > 0 {
            guard let v = Int(try a.text(0)) else {
                throw CommandError("Protocol version is not an integer or out of range")
            }
            guard v == 2 || v == 3 else { throw CommandError("unsupported protocol version", code: "NOPROTO") }
            version = v
            i = 1
        }
        while i < a.count {
            switch try a.text(i).uppercased() {
            case "AUTH" where i + 2 < a.count:
                let user = try a.text(i + 1)
                s.role = try granted(s.config.credentials.authenticate(user: user, password: a.bytes(i + 2) ?? [],
                                                                       from: s.client))
                s.user = s.config.credentials.userName(user, role: s.role)
                i += 3
            case "SETNAME" where i + 1 < a.count:
                s.clientName = try a.text(i + 1)
                i += 2
            default:
                throw CommandError("syntax error in HELLO option '\(try a.text(i).prefix(20))'")
            }
        }
        if s.role == .none {
            throw CommandError(
                "HELLO must be called with the client already authenticated, "
                    + "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
                    + "and select the RESP protocol version at the same time",
                code: "NOAUTH")
        }
        s.protocolVersion = version
        return .map([
            (.bulk("server"), .bulk("gridmap")),
            (.bulk("version"), .bulk(CommandTable.version)),
            (.bulk("proto"), .integer(version)), (.bulk("id"), .integer(1)), (.bulk("mode"), .bulk("standalone")),
            (.bulk("role"), .bulk("master")), (.bulk("modules"), .array([])),
            (.bulk("data_version"), .bulk(s.snapshot.version)),
        ])
    }

    /// AUTH password | AUTH user password. The password is never logged or echoed.
    static func auth(_ a: Arguments, _ s: Session) throws -> RESPValue {
        guard a.count <= 2 else { throw CommandError("syntax error", code: "ERR") }
        if !s.config.credentials.required {
            throw CommandError(
                "AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?")
        }
        let user = a.count == 2 ? try a.text(0) : nil
        let role = try granted(s.config.credentials.authenticate(user: user, password: a.bytes(a.count - 1) ?? [],
                                                      from: s.client))
        s.role = role
        s.user = s.config.credentials.userName(user, role: role)
        return .ok
    }

    /// The role an authentication granted, or the error reply for a wrong or throttled one.
    private static func granted(_ outcome: AuthOutcome) throws -> Role {
        switch outcome {
        case .granted(let role): return role
        case .denied: throw CommandError("invalid username-password pair or user is disabled.", code: "WRONGPASS")
        case .throttled(let seconds):
            throw CommandError("too many failed authentications from this address; try again in \(seconds) s",
                               code: "WRONGPASS")
        }
    }

    static func quit(_ a: Arguments, _ s: Session) throws -> RESPValue {
        s.shouldClose = true
        return .ok
    }

    static func select(_ a: Arguments, _ s: Session) throws -> RESPValue {
        guard try a.text(0) == "0" else { throw CommandError("DB index is out of range") }
        return .ok
    }

    /// CLIENT SETNAME/GETNAME/SETINFO/ID: what client libraries send on connect.
    static func client(_ a: Arguments, _ s: Session) throws -> RESPValue {
        switch try a.text(0).uppercased() {
        case "SETNAME": s.clientName = a.count > 1 ? try a.text(1) : nil; return .ok
        case "GETNAME": return s.clientName.map { .bulk($0) } ?? .null
        case "SETINFO": return .ok
        case "ID": return .integer(1)
        default:
            throw CommandError(
                "unknown subcommand '\(try a.text(0).prefix(20))'. Try CLIENT SETNAME, GETNAME, SETINFO, ID.")
        }
    }

    /// CONFIG GET answers empty (there is nothing to tune at run time); redis-benchmark asks.
    static func config(_ a: Arguments, _ s: Session) throws -> RESPValue {
        guard try a.text(0).uppercased() == "GET" else { throw CommandError("only CONFIG GET is supported") }
        return s.protocolVersion >= 3 ? .map([]) : .array([])
    }

    /// COMMAND, COMMAND COUNT, COMMAND DOCS, COMMAND INFO name…: enough for redis-cli.
    static func command(_ a: Arguments, _ s: Session) throws -> RESPValue {
        func info(_ c: CommandSpec) -> RESPValue {
            .array([
                .bulk(c.name), .integer(c.arity), .array(c.flags.map { .simpleString($0) }), .integer(0), .integer(0),
                .integer(0),
            ])
        }
        let specs = CommandTable.all.values.sorted { $0.name < $1.name }
        guard a.count > 0 else { return .array(specs.map(info)) }
        switch try a.text(0).uppercased() {
        case "COUNT": return .integer(specs.count)
        case "DOCS": return s.protocolVersion >= 3 ? .map([]) : .array([])
        case "INFO":
            return .array(
                try (1..<a.count).map { i in CommandTable.all[try a.text(i).lowercased()].map(info) ?? .null })
        case "LIST": return .array(specs.map { .bulk($0.name) })
        default:
            throw CommandError("unknown subcommand '\(try a.text(0).prefix(20))'. Try COMMAND COUNT, DOCS, INFO, LIST.")
        }
    }

    static func info(_ a: Arguments, _ s: Session) throws -> RESPValue {
        s.stats.merge(&s.localStats)
        let snapshot = s.snapshot
        let d = snapshot.dataset
        let lag = s.service.follow.lag(serving: Int(snapshot.version) ?? 0)
        var lines = [
            "# Server", "gridmap_version:\(CommandTable.version)", "redis_version:7.0.0-compatible",
            "uptime_in_seconds:\(s.stats.uptimeSeconds)", "",
            "# Clients", "connected_clients:\(s.stats.connections.load(ordering: .relaxed))",
            "total_connections_received:\(s.stats.totalConnections.load(ordering: .relaxed))",
            "rejected_connections:\(s.stats.rejectedConnections.load(ordering: .relaxed))", "",
            "# Memory", "native_handles:\(NativeHandles.live)", "proj_contexts:\(ThreadResources.projContexts)",
            "crs_transformers:\(CoordinateConverter.transformersHeld)",
            "crs_transformers_per_thread_max:\(CoordinateConverter.defaultCapacity)",
            "crs_known_answers:\(Transformer.knownAnswers)", "crs_known_answers_max:\(Transformer.knownCapacity)", "",
            "# Data", "data_version:\(snapshot.version)", "district:\(d.districtID) \(d.districtName)",
            // The path is the operator's business: planners see it, readers do not.
            "store:\(s.role >= .planner ? s.service.storeLocation : "(shown to planners)")",
            "store_writable:\(s.service.storeWritable ? 1 : 0)",
            "publishes_seen:\(s.service.publishes.load(ordering: .relaxed))",
            // The watcher's state (VersionWatcher): idle, starting, following, degraded, stopping.
            "watcher:\(s.service.watcherState.name)",
            // Following the store: the newest version heard of, and how far behind it this server is.
            "newest_version_seen:\(lag.newest)", "versions_behind:\(lag.versions)",
            "seconds_behind:\((lag.seconds * 1000).rounded() / 1000)",
            "version_hints:\(s.service.follow.listening.load(ordering: .relaxed) ? "listening" : "none")",
            "version_hints_heard:\(s.service.follow.hintsHeard.load(ordering: .relaxed))",
            "last_build_ms:\(Double(s.service.lastBuildNanos.load(ordering: .relaxed) / 100_000) / 10)",
            "asof_cache_capacity:\(s.service.asOfCapacity)",
            "asof_cache_versions:\(s.service.cachedVersions.map(String.init).joined(separator: ","))",
            "streets:\(d.streets.count)", "communities:\(d.communities.count)", "grids:\(d.grids.count)",
            "resources:\(d.resources.count)", "addresses:\(snapshot.addressCount)", "",
            "# Commandstats",
        ]
        lines += s.stats.commandLines()
        return .bulk(lines.joined(separator: "\r\n") + "\r\n")
    }
}
