import ArgumentParser
import Foundation
import GridMapCore

/// `gridmap users …`: the store's accounts. A secret is printed once, when made; the store
/// keeps only its slow salted hash.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Accounts: add, list, disable, enable, re-key (secrets shown once, kept as a slow hash).",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Rekey.self])

    /// Runs `body` on the store's case log, the engine's errors given their exit status.
    static func withLog<T>(_ options: DataOptions, _ body: (CaseLog) throws -> T) throws -> T {
        let location = try options.storeLocation()
        do { return try CaseDesk(location: location).with(body) } catch { throw Failure(error) }
    }

    /// Disables or enables `name`, and says which.
    static func setDisabled(_ name: String, _ disabled: Bool, _ options: DataOptions) throws {
        try withLog(options) { try $0.setAccountDisabled(name, disabled, nowMs: Clock.nowMs) }
        Swift.print("\(disabled ? "disabled" : "enabled") \(name)")
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adds an account and prints its secret (once). A unit account names its unit.")
        @Argument(help: "The account's name: letters, digits, '.', '_' or '-'.") var name: String
        @Option(help: "reader, planner, dispatcher, unit or reporter.") var role: String
        @Option(help: "The unit a unit account acts for (a unit id of the current map).") var unit: String?
        @OptionGroup var options: DataOptions

        func run() throws {
            guard let role = AccountRole(rawValue: role.lowercased()) else {
                let roles = AccountRole.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--role is one of \(roles)")
            }
            if let unit {
                let units = try options.snapshot().dataset.units
                guard units.contains(where: { $0.id == unit }) else {
                    throw Failure(CaseError(.unknownUnit, "no unit '\(unit)' on the current map"))
                }
            }
            let secret = try UsersCommand.withLog(options) {
                try $0.addAccount(name, role: role, unit: unit, nowMs: Clock.nowMs)
            }
            Swift.print("added \(name) (\(role.rawValue)\(unit.map { ", unit \($0)" } ?? "")); its secret, shown once:")
            Swift.print(secret)
            if role == .reporter { Swift.print("its Open311 api_key: \(name):\(secret)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists the accounts (never their secrets).")
        @Option(help: "text or json.") var format = "text"
        @OptionGroup var options: DataOptions

        func run() throws {
            let all = try UsersCommand.withLog(options) { try $0.accounts() }
            if format == "json" {
                let rows: [JSONValue] = all.map {
                    .object(["name": .string($0.name), "role": .string($0.role.rawValue), "unit": JSONValue($0.unit),
                             "disabled": .bool($0.disabled), "created_at": .string(CaseCoding.chinaTime($0.createdMs)),
                             "updated_at": .string(CaseCoding.chinaTime($0.updatedMs))])
                }
                Swift.print(JSONValue.array(rows).serialized)
                return
            }
            for a in all {
                Swift.print([a.name, a.role.rawValue, a.unit ?? "-", a.disabled ? "disabled" : "enabled",
                             CaseCoding.chinaTime(a.updatedMs)].joined(separator: "\t"))
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disables an account: its secret is refused at once.")
        @Argument var name: String
        @OptionGroup var options: DataOptions
        func run() throws { try UsersCommand.setDisabled(name, true, options) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enables a disabled account again.")
        @Argument var name: String
        @OptionGroup var options: DataOptions
        func run() throws { try UsersCommand.setDisabled(name, false, options) }
    }

    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Gives an account a new secret (printed once); the old one is refused at once.")
        @Argument var name: String
        @OptionGroup var options: DataOptions
        func run() throws {
            let secret = try UsersCommand.withLog(options) { try $0.rekeyAccount(name, nowMs: Clock.nowMs) }
            Swift.print("re-keyed \(name); its new secret, shown once:")
            Swift.print(secret)
        }
    }
}
