import Foundation
import Synchronization
import GridMapGeometry
import GridMapModel
import GridMapStores

/// The service's case log: opened on first use beside the map store, on a connection of its
/// own, used by one caller at a time. A server without a store keeps no cases.
public final class CaseDesk: @unchecked Sendable {
    private let location: String?
    private let lock = NSLock()
    private var log: CaseLog?
    private let writer = CaseWriter()
    /// Subscribers to the case log's notices (`CaseFeedService` tells them).
    public let feed = CaseFeed()
    /// The measures' copy of every case's history, read on from where it last looked.
    public let histories = CaseHistoryCache()
    /// Measures already computed for periods that are over (`CaseStatsRequest.rows`).
    public let levels = CaseLevels()
    /// Verified secrets' digests by account, with the stored hash they were verified against.
    let verified = Mutex<[String: String]>([:])

    public init(location: String?) { self.location = location }

    /// Runs `body` in a transaction committed together with other callers' (group commit);
    /// returns once it is durable.
    public func write<T: Sendable>(_ body: @escaping @Sendable (CaseLog) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in writer.submit(self, body) { c.resume(with: $0) } }
    }

    /// As `write`, `done` called (from the writer's queue) once the write is durable or failed.
    public func write<T: Sendable>(_ body: @escaping @Sendable (CaseLog) throws -> T,
                                   done: @escaping @Sendable (Result<T, any Error>) -> Void) {
        writer.submit(self, body, done: done)
    }

    /// Runs `body` with the log, opening it when first needed.
    public func with<T>(_ body: (CaseLog) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try use(&log, body)
    }

    private let readLock = NSLock()
    private var reader: CaseLog?

    /// Runs `body` on a connection of its own, for long reads (the measures' cache filling from
    /// the whole log): reports and actions on `with` do not wait behind it. The log is
    /// append-only, so what a read sees is whole.
    public func reading<T>(_ body: (CaseLog) throws -> T) throws -> T {
        readLock.lock()
        defer { readLock.unlock() }
        // The writer's connection first: it makes the tables when they are missing.
        if reader == nil { _ = try with { _ in } }
        return try use(&reader, body)
    }

    private func use<T>(_ connection: inout CaseLog?, _ body: (CaseLog) throws -> T) throws -> T {
        if connection == nil {
            guard let location else {
                throw CaseError(.caseLogUnavailable, "this server answers from files, not a store: it keeps no cases "
                                + "(serve a store: gridmap store import, then --store)")
            }
            connection = try Stores.openCaseLog(location)
        }
        do { return try body(connection!) } catch let e as CaseError where e.typed == .caseLogUnavailable {
            // A failed connection is opened afresh next time.
            connection = nil
            throw e
        }
    }
}

/// Accounts checked against the store: a secret is verified with its slow hash once, then
/// remembered (by its SHA-256, never itself) for as long as the stored hash stays the same, so
/// that HTTP Basic on every request costs a row read; re-keying or disabling takes effect at
/// once because the row is read each time.
extension CaseDesk: AccountDirectory {
    public func grant(name: String, secret: [UInt8]) -> Role? {
        guard let account = try? with({ try $0.account(name) }), !account.disabled else { return nil }
        let key = name + "\u{0}" + SecretHash.digest(secret).map { String(format: "%02x", $0) }.joined()
        if verified.withLock({ $0[key] }) != account.hash {
            guard SecretHash.verify(secret, account.hash) else { return nil }
            verified.withLock {
                if $0.count >= 4096 { $0.removeAll() }
                $0[key] = account.hash
            }
        }
        return account.role == .planner ? .planner : .reader
    }

    /// Listens on the case feed as `user`: a unit account hears only its unit's cases (as it sees
    /// only those), and an account disabled meanwhile hears nothing more (checked at each notice).
    public func listen(_ channels: Set<String>, role: Role, user: String,
                       _ deliver: @escaping @Sendable (String, CaseNotice) -> Void) throws -> Int {
        let actor = try actor(role: role, user: user)
        let only = actor.role == .unit ? actor.unit ?? "" : nil
        let isAccount = try with { try $0.account(user) } != nil
        return feed.listen(channels) { [self] channel, notice in
            if let only, notice.unit != only { return }
            if isAccount, (try? self.actor(role: role, user: user)) == nil { return }
            deliver(channel, notice)
        }
    }

    /// Who acts on the case log: an account by its own role and unit (refused once disabled),
    /// anyone else (the built-in users, a client on an open server) by its role, the planner
    /// as a dispatcher. A name is an account's only when it signed in as that account.
    public func actor(role: Role, user: String) throws -> CaseActor {
        if CaseLog.builtInNames.contains(user.lowercased()) { return CaseActor.builtIn(role, user: user) }
        guard let account = try with({ try $0.account(user) }) else { return CaseActor.builtIn(role, user: user) }
        guard !account.disabled else {
            throw CaseError(.roleNotAllowed, "the account '\(user)' is disabled: ask for it to be enabled")
        }
        return CaseActor(account: account.name, role: account.role.caseRole, unit: account.unit)
    }
}
