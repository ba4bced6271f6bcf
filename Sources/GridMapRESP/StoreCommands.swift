import GridMapCore
import GridMapPlanning

/// The map store's commands: history, diff, rollback, reload. Everything that touches the
/// store runs on the thread pool (`Session.offLoop`): the store connection is shared and a
/// publish builds a whole version.
enum StoreCommands {
    /// VERSIONS [LIMIT n]: the newest n versions (`VersionsRequest`), newest first.
    static func versions(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 0, allowed: ["LIMIT"])
        return s.answer(try VersionsRequest(limit: try o["LIMIT"].map { try a.integer($0, "limit") }))
    }

    /// VERSION id|date: one version's record.
    static func version(_ a: Arguments, _ s: Session) throws -> RESPValue { s.answer(VersionRequest(try a.text(0))) }

    /// DIFF from to: feature by feature.
    static func diff(_ a: Arguments, _ s: Session) throws -> RESPValue {
        s.answer(DiffRequest(from: try a.text(0), to: try a.text(1)))
    }

    /// ROLLBACK version [MESSAGE text]: publishes that version's content as a new version.
    static func rollback(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let o = try a.options(from: 1, allowed: ["MESSAGE"])
        var named = NamedArguments(["version": [try a.text(0)]])
        if let k = o["MESSAGE"] { named.values["message"] = [try a.text(k)] }
        let request = try PlanGrammar.read("rollback", named)
        let service = s.service, author = s.user
        if request.publishes { return s.awaiting { .bulkString(try await service.publish(request, author: author)) } }
        return s.offLoop { .bulkString(try service.answer(request, author: author)) }
    }

    /// RELOAD: picks up a version published to the store by another process now, rather than
    /// at the next poll; answers the version now served.
    static func reload(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let service = s.service
        return s.awaiting {
            // Nothing to write: the refresh that follows, queued for the watcher's thread like a
            // publish. Its failure keeps its kind and code (a version that cannot be built is
            // internal, and logged), and says what is served.
            do { try await service.publishing { _ in () } } catch {
                throw ReloadFailure(cause: error, serving: service.current.version)
            }
            return .simpleString("OK \(service.current.version)")
        }
    }
}

/// Publish/subscribe as Redis speaks it: `gridmap:versions` carries a JSON message per
/// published version; `gridmap:cases` one per case reported, moved to another stage or fallen
/// overdue, and `gridmap:cases:grid:ID`, `…:unit:ID`, `…:category:CODE` those of one grid, unit
/// or category (a unit account hears only its unit's). Other channel names are accepted and
/// stay silent.
enum PubSubCommands {
    static let versionsChannel = "gridmap:versions"

    static func subscribe(_ a: Arguments, _ s: Session) throws -> RESPValue {
        var replies: [RESPValue] = []
        for i in 0..<a.count {
            let channel = try a.text(i)
            if !s.subscriptions.contains(channel) { s.subscriptions.append(channel) }
            replies.append(.push([.bulk("subscribe"), .bulk(channel), .integer(s.subscriptions.count)]))
        }
        if s.subscriptionListener == nil, s.subscriptions.contains(versionsChannel), let deliver = s.deliver {
            s.subscriptionListener = s.service.subscribe { event in
                deliver(.push([.bulk("message"), .bulk(versionsChannel), .bulk(event.json.serialized)]))
            }
        }
        try followCases(s)
        return .several(replies)
    }

    /// Listens on the case feed for the session's case channels, or stops when it has none.
    static func followCases(_ s: Session) throws {
        let channels = Set(s.subscriptions.filter(CaseNotice.isChannel))
        guard !channels.isEmpty, let deliver = s.deliver else { return s.closeCaseListener() }
        if let id = s.caseListener { return s.service.cases.feed.update(id, channels: channels) }
        s.caseListener = try s.service.cases.listen(channels, role: s.role, user: s.user) { channel, notice in
            deliver(.push([.bulk("message"), .bulk(channel), .bulk(notice.json.serialized)]))
        }
    }

    static func unsubscribe(_ a: Arguments, _ s: Session) throws -> RESPValue {
        let channels = a.count == 0 ? s.subscriptions : try (0..<a.count).map { try a.text($0) }
        if channels.isEmpty { return .push([.bulk("unsubscribe"), .null, .integer(0)]) }
        var replies: [RESPValue] = []
        for channel in channels {
            s.subscriptions.removeAll { $0 == channel }
            replies.append(.push([.bulk("unsubscribe"), .bulk(channel), .integer(s.subscriptions.count)]))
        }
        if !s.subscriptions.contains(versionsChannel) {
            if let id = s.subscriptionListener { s.service.unsubscribe(id) }
            s.subscriptionListener = nil
        }
        try followCases(s)
        return .several(replies)
    }

    /// Patterns are not supported: PSUBSCRIBE says so rather than staying silent for ever.
    static func psubscribe(_ a: Arguments, _ s: Session) throws -> RESPValue {
        throw CommandError("pattern subscriptions are not supported; SUBSCRIBE \(versionsChannel)")
    }

    static func punsubscribe(_ a: Arguments, _ s: Session) throws -> RESPValue {
        .push([.bulk("punsubscribe"), .null, .integer(s.subscriptions.count)])
    }
}

/// A RELOAD that failed: the cause's code and kind (a version that cannot be built is internal,
/// and logged), and the version still served.
struct ReloadFailure: KindedError {
    let cause: any Error
    let serving: String
    var kind: ErrorKind { cause.errorKind }
    var code: String { cause.errorCode }
    var message: String { "reload failed, still serving \(serving): " + cause.clientMessage(planner: true) }
}
