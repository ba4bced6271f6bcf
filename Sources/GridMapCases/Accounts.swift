import Foundation
import GridMapGeometry

/// What an account may do. `planner` plans the map and acts on cases as a dispatcher;
/// `dispatcher` accepts, dispatches, verifies and closes cases and sees reporters' contacts;
/// `unit` handles the cases dispatched to its unit; `reader` and `reporter` read the map and
/// report (a reporter's key is an Open311 `api_key`).
public enum AccountRole: String, CaseIterable, Sendable {
    case reader, planner, dispatcher, unit, reporter

    /// The role it has on the case log.
    public var caseRole: CaseRole {
        switch self {
        case .planner, .dispatcher: .dispatcher
        case .unit: .unit
        case .reader, .reporter: .reporter
        }
    }
}

/// One account as the store keeps it: never its secret, only the secret's slow hash.
public struct Account: Sendable, Equatable {
    public let name: String
    public let role: AccountRole
    public let unit: String?
    public let hash: String
    public let disabled: Bool
    public let createdMs: Int64
    public let updatedMs: Int64
}

/// Accounts in the case log's database, beside the two shared passwords (the built-in
/// `default` and `planner`, whose names an account cannot take).
extension CaseLog {
    public static let builtInNames: Set<String> = ["default", "reader", "planner", "open311", "gridmap"]

    /// A name is 1 to 64 letters, digits, `.`, `_` or `-` (no `:`, which separates an Open311
    /// key's name from its secret), and not a built-in user's.
    public static func checkAccountName(_ name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)
        }
        guard (1...64).contains(name.count), allowed else {
            throw CaseError(.badAccount, "an account name is 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard !builtInNames.contains(name.lowercased()) else {
            throw CaseError(.badAccount, "'\(name)' is a built-in user (its password is set when serving)")
        }
    }

    /// Adds an account with a new secret, returned once (the store keeps only its hash).
    public func addAccount(_ name: String, role: AccountRole, unit: String?, nowMs: Int64) throws -> String {
        try Self.checkAccountName(name)
        if role == .unit && (unit ?? "").isEmpty {
            throw CaseError(.badAccount, "a unit account names its unit (--unit ID)")
        }
        if role != .unit && unit != nil {
            throw CaseError(.badAccount, "only a unit account names a unit (this one is a \(role.rawValue))")
        }
        try refuseWrites()
        let secret = SecretHash.newSecret(), hash = SecretHash.hash(Array(secret.utf8))
        try transaction {
            if try account(name) != nil { throw CaseError(.accountExists, "there is already an account '\(name)'") }
            try query("""
                INSERT INTO \(table("account")) (name, role, unit, hash, disabled, created_ms, updated_ms)
                VALUES (?, ?, ?, ?, 0, ?, ?)
                """, [.text(name), .text(role.rawValue), CaseValue(unit), .text(hash), .int(Int(nowMs)),
                      .int(Int(nowMs))]) { _ in }
        }
        return secret
    }

    /// A new secret for `name` (the old one stops working at once), returned once.
    public func rekeyAccount(_ name: String, nowMs: Int64) throws -> String {
        let secret = SecretHash.newSecret(), hash = SecretHash.hash(Array(secret.utf8))
        try updateAccount(name, set: "hash = ?", [.text(hash)], nowMs: nowMs)
        return secret
    }

    /// Disables (or enables again) `name`: a disabled account's secret is refused at once.
    public func setAccountDisabled(_ name: String, _ disabled: Bool, nowMs: Int64) throws {
        try updateAccount(name, set: "disabled = ?", [.int(disabled ? 1 : 0)], nowMs: nowMs)
    }

    private func updateAccount(_ name: String, set: String, _ values: [CaseValue], nowMs: Int64) throws {
        try refuseWrites()
        try transaction {
            guard try account(name) != nil else { throw CaseError(.unknownAccount, "no account '\(name)'") }
            try query("UPDATE \(table("account")) SET \(set), updated_ms = ? WHERE name = ?",
                      values + [.int(Int(nowMs)), .text(name)]) { _ in }
        }
    }

    /// The account named `name`, disabled or not, or nil.
    public func account(_ name: String) throws -> Account? {
        var found: Account?
        try query("""
            SELECT name, role, unit, hash, disabled, created_ms, updated_ms FROM \(table("account")) WHERE name = ?
            """, [.text(name)]) { found = Self.account($0) }
        return found
    }

    /// Every account, by name.
    public func accounts() throws -> [Account] {
        var all: [Account] = []
        try query("""
            SELECT name, role, unit, hash, disabled, created_ms, updated_ms FROM \(table("account")) ORDER BY name
            """, []) { all.append(Self.account($0)) }
        return all
    }

    private static func account(_ r: any CaseRow) -> Account {
        Account(name: r.text(0), role: AccountRole(rawValue: r.text(1)) ?? .reader, unit: r.isNull(2) ? nil : r.text(2),
                hash: r.text(3), disabled: r.int(4) != 0, createdMs: Int64(r.int(5)), updatedMs: Int64(r.int(6)))
    }
}
