import Foundation
import GridMapTestSupport
import Synchronization
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapNetwork
@testable import GridMapGeometry
@testable import GridMapStores

/// Accounts in the store, on every backend: a secret shown once and kept as a slow salted hash,
/// refused when wrong, disabled or re-keyed (at once, though verified secrets are remembered),
/// and each role acting on cases only as the stage table and its unit allow.
@Suite struct AccountTests {
    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as KindedError { return e.code } catch { return "\(error)" }
    }

    @Test func secretsAreKeptAsSlowSaltedHashes() {
        let a = SecretHash.hash(Array("s3cret".utf8)), b = SecretHash.hash(Array("s3cret".utf8))
        #expect(a.hasPrefix("pbkdf2-sha256$600000$") && !a.contains("s3cret"))
        #expect(a != b, "each hash has its own salt")
        #expect(SecretHash.verify(Array("s3cret".utf8), a) && SecretHash.verify(Array("s3cret".utf8), b))
        #expect(!SecretHash.verify(Array("s3creT".utf8), a) && !SecretHash.verify([], a))
        #expect(!SecretHash.verify(Array("s3cret".utf8), "plain$1$AA==$AA=="))
        // Known answer (RFC 7914 §11's PBKDF2-HMAC-SHA256 vector): the derivation is the standard one.
        let derived = SecretHash.derive(Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(derived.prefix(8).map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089f")
        #expect(SecretHash.newSecret().count == 32 && SecretHash.newSecret() != SecretHash.newSecret())
    }

    @Test(arguments: StoreBackend.available)
    func accountsSignInUntilDisabledOrRekeyed(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("accounts")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let desk = CaseDesk(location: location)
        let secret = try desk.with { try $0.addAccount("li.si", role: .dispatcher, unit: nil, nowMs: 1) }
        var credentials = Credentials(readerPassword: "r", plannerPassword: "p")
        credentials.accounts = desk
        #expect(credentials.role(user: "li.si", password: Array(secret.utf8)) == .reader)
        #expect(credentials.role(user: "li.si", password: Array((secret + "x").utf8)) == nil)
        #expect(credentials.role(user: "nobody", password: Array(secret.utf8)) == nil)
        // A built-in name is never looked up among the accounts, and cannot be taken.
        #expect(code { _ = try desk.with { try $0.addAccount("Planner", role: .planner, unit: nil, nowMs: 1) } }
                == "bad_account")
        #expect(code { _ = try desk.with { try $0.addAccount("li.si", role: .reader, unit: nil, nowMs: 1) } }
                == "account_exists")
        #expect(code { _ = try desk.with { try $0.addAccount("a:b", role: .reader, unit: nil, nowMs: 1) } }
                == "bad_account")
        #expect(code { _ = try desk.with { try $0.addAccount("u", role: .unit, unit: nil, nowMs: 1) } }
                == "bad_account")
        let stored = try #require(try desk.with { try $0.account("li.si") })
        #expect(stored.hash.hasPrefix("pbkdf2-sha256$") && !stored.hash.contains(secret))

        // Remembered once verified, yet disabling and re-keying take effect at once.
        #expect(desk.grant(name: "li.si", secret: Array(secret.utf8)) == .reader)
        try desk.with { try $0.setAccountDisabled("li.si", true, nowMs: 2) }
        #expect(desk.grant(name: "li.si", secret: Array(secret.utf8)) == nil)
        #expect(code { _ = try desk.actor(role: .reader, user: "li.si") } == "role_not_allowed")
        try desk.with { try $0.setAccountDisabled("li.si", false, nowMs: 3) }
        #expect(desk.grant(name: "li.si", secret: Array(secret.utf8)) == .reader)
        let fresh = try desk.with { try $0.rekeyAccount("li.si", nowMs: 4) }
        #expect(desk.grant(name: "li.si", secret: Array(secret.utf8)) == nil, "the old secret is refused")
        #expect(desk.grant(name: "li.si", secret: Array(fresh.utf8)) == .reader)
        #expect(code { _ = try desk.with { try $0.rekeyAccount("nobody", nowMs: 5) } } == "unknown_account")

        let planner = try desk.with { try $0.addAccount("wang", role: .planner, unit: nil, nowMs: 6) }
        #expect(credentials.role(user: "wang", password: Array(planner.utf8)) == .planner)
        #expect(try desk.with { try $0.accounts() }.map(\.name) == ["li.si", "wang"])
    }

    @Test(arguments: StoreBackend.available)
    func eachAccountActsAsItsRoleAndUnit(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("account-cases")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service), desk = service.cases
        let report = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897, lat: 24.3072275)),
                                           category: "0101", contact: CaseContact(phone: "13800000000"))
        let made = try JSONParser.parse(try report.answer(map, actor: try desk.actor(role: .reader, user: "default")))
        let id = try #require(made["id"]?.int), unit = try #require(made["stamp"]?["unit"]?.string)
        let other = try #require(map.current.dataset.units.first { $0.id != unit }?.id)
        for (name, role, u) in [("调度员", AccountRole.dispatcher, nil), ("本单位", .unit, unit), ("别单位", .unit, other),
                                ("居民", .reporter, nil)] as [(String, AccountRole, String?)] {
            _ = try desk.with { try $0.addAccount(name, role: role, unit: u, nowMs: 1) }
        }
        func act(_ user: String, _ action: String) throws -> JSONValue {
            let r = try CaseActRequest(id: "\(id)", action: action, note: action == "handle" ? "已清理" : nil)
            return try JSONParser.parse(try r.answer(map, actor: try desk.actor(role: .reader, user: user)))
        }
        #expect(code { _ = try act("居民", "accept") } == "role_not_allowed")
        #expect(code { _ = try act("本单位", "accept") } == "role_not_allowed")
        _ = try act("调度员", "accept")
        _ = try act("调度员", "dispatch")
        // Another unit may not act on it, nor see it; its own unit handles it.
        #expect(code { _ = try act("别单位", "handle") } == "role_not_allowed")
        #expect(code {
            _ = try CaseGetRequest("\(id)").answer(map, actor: try desk.actor(role: .reader, user: "别单位"))
        } == "unknown_case")
        let handled = try act("本单位", "handle")
        #expect(handled["stage"] == "handled")
        let asDispatcher = try desk.actor(role: .reader, user: "调度员")
        let seen = try JSONParser.parse(try CaseGetRequest("\(id)").answer(map, actor: asDispatcher))
        #expect(seen["contact"]?["phone"] == "13800000000", "a dispatcher sees the contact")
        let asUnit = try desk.actor(role: .reader, user: "本单位")
        let byUnit = try JSONParser.parse(try CaseGetRequest("\(id)").answer(map, actor: asUnit))
        #expect(byUnit["contact"] == nil, "a unit does not")
        // Every event records its account.
        #expect(seen["history"]?.array?.compactMap { $0["account"]?.string } == ["default", "调度员", "调度员", "本单位"])
    }
}

/// The case feed's turns, driven by hand: each appended event told once across overlapping
/// look-backs, and an open case told overdue once, when its due time has passed.
@Suite struct CaseFeedTests {
    @Test(arguments: StoreBackend.available)
    func eventsOnceAndOverdueOnce(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("feed")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service), desk = service.cases
        let feed = CaseFeedService(desk: desk)
        feed.handle(.start)
        let heard = Mutex<[(String, CaseNotice)]>([])
        let id = desk.feed.listen(["gridmap:cases", "gridmap:cases:category:0101"]) { channel, notice in
            heard.withLock { $0.append((channel, notice)) }
        }
        defer { desk.feed.stop(id) }
        let start = Clock.nowMs
        feed.poll(nowMs: start)
        let report = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897, lat: 24.3072275)),
                                           category: "0101")
        let made = try JSONParser.parse(try report.answer(map, actor: CaseActor(account: "t", role: .reporter)))
        let caseID = try #require(made["id"]?.int)
        let due = try #require(try desk.with { try $0.state(caseID) }?.dueMs)
        feed.poll(nowMs: Clock.nowMs)
        feed.poll(nowMs: Clock.nowMs)  // the look-back reads the event again: not told again
        #expect(heard.withLock { $0.map(\.0) } == ["gridmap:cases", "gridmap:cases:category:0101"])
        #expect(heard.withLock { $0.allSatisfy { $0.1.kind == .reported && $0.1.caseID == caseID } })
        heard.withLock { $0.removeAll() }
        // Past its due time (0101's limit is a day), told once.
        feed.poll(nowMs: due + 1)
        feed.poll(nowMs: due + 2)
        let overdue = heard.withLock { $0.filter { $0.0 == "gridmap:cases" }.map(\.1) }
        #expect(overdue.map(\.kind) == [.overdue] && overdue.first?.caseID == caseID)
        #expect(feed.current == .polling)
    }

    @Test(arguments: StoreBackend.available)
    func accountsHearTheirUnitUntilDisabled(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("feed-accounts")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service), desk = service.cases
        let feed = CaseFeedService(desk: desk)
        feed.handle(.start)
        feed.poll(nowMs: Clock.nowMs)
        let report = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897, lat: 24.3072275)),
                                           category: "0101")
        let first = try JSONParser.parse(try report.answer(map, actor: CaseActor(account: "t", role: .reporter)))
        let unit = try #require(first["stamp"]?["unit"]?.string)
        let other = try #require(map.current.dataset.units.first { $0.id != unit }?.id)
        _ = try desk.with { try $0.addAccount("mine", role: .unit, unit: unit, nowMs: 1) }
        _ = try desk.with { try $0.addAccount("theirs", role: .unit, unit: other, nowMs: 1) }
        let heard = Mutex<[String]>([])
        var ids: [Int] = []
        for name in ["mine", "theirs"] {
            ids.append(try desk.listen(["gridmap:cases"], role: .reader, user: name) { _, _ in
                heard.withLock { $0.append(name) }
            })
        }
        defer { for id in ids { desk.feed.stop(id) } }
        feed.poll(nowMs: Clock.nowMs)
        #expect(heard.withLock { $0 } == ["mine"], "only the case's own unit hears it")
        heard.withLock { $0.removeAll() }
        try desk.with { try $0.setAccountDisabled("mine", true, nowMs: 2) }
        _ = try report.answer(map, actor: CaseActor(account: "t", role: .reporter))
        feed.poll(nowMs: Clock.nowMs)
        #expect(heard.withLock { $0 }.isEmpty, "a disabled account hears nothing more")
    }
}

/// Group commit: writes arriving at once share a transaction, each in a savepoint of its own,
/// so a refused one takes back only its rows and every answer is what was kept.
@Suite struct CaseGroupCommitTests {
    @Test(arguments: StoreBackend.available)
    func writesTogetherKeepEachOnesOutcome(_ backend: StoreBackend) async throws {
        let location = try backend.newLocation("group")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service)
        let reporter = CaseActor(account: "r", role: .reporter), dispatcher = CaseActor(account: "d", role: .dispatcher)
        let first = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897, lat: 24.3072275)),
                                          category: "0101", key: "first")
        let base = try #require(try JSONParser.parse(try await first.answerGrouped(map, actor: reporter))["id"]?.int)
        // 30 new reports (10 of them sent twice with their key), and on the first case one
        // accept (allowed) and nine passes (refused: it was never handled), all at once.
        let outcomes = await withTaskGroup(of: (String, Result<JSONValue, any Error>).self) { group in
            for i in 0..<40 {
                group.addTask {
                    let key = "k\(i % 30)"
                    do {
                        let report = try CaseReportRequest(place: .point(PointQuery(lon: 109.4200897, lat: 24.3072275)),
                                                           category: "0101", key: key)
                        let answer = try await report.answerGrouped(map, actor: reporter)
                        return (key, .success(try JSONParser.parse(answer)))
                    } catch { return (key, .failure(error)) }
                }
            }
            for i in 0..<10 {
                group.addTask {
                    let name = i == 0 ? "accept" : "pass"
                    do {
                        let act = try CaseActRequest(id: "\(base)", action: name)
                        let answer = try await act.answerGrouped(map, actor: dispatcher)
                        return (name, .success(try JSONParser.parse(answer)))
                    } catch { return (name, .failure(error)) }
                }
            }
            var all: [(String, Result<JSONValue, any Error>)] = []
            for await o in group { all.append(o) }
            return all
        }
        var idByKey: [String: Int] = [:]
        for (key, result) in outcomes where key.hasPrefix("k") {
            let id = try #require(try result.get()["id"]?.int)
            if let seen = idByKey[key] { #expect(seen == id, "a key made two cases") } else { idByKey[key] = id }
        }
        #expect(idByKey.count == 30)
        #expect(try service.cases.with { try $0.count() } == 31)
        let accepted = outcomes.filter { $0.0 == "accept" }.compactMap { try? $0.1.get() }
        #expect(accepted.first?["stage"] == "accepted")
        let refused = outcomes.filter { $0.0 == "pass" }.map { (try? $0.1.get()) == nil }
        #expect(refused.count == 9 && refused.allSatisfy { $0 })
        // The first case holds exactly its report and the accept: nothing of a refused pass.
        let record = try service.cases.with { try $0.record(base) }
        #expect(record.events.map(\.seq) == [1, 2] && record.state.stage == .accepted)
    }
}
