import GridMapGeometry

/// A case's stage (GB/T 30428.8's 上报 → 立案 → 派遣 → 处置 → 核查 → 结案, with the district's
/// 不予立案, 缓办 and 作废). 核查 is not a stage a case rests in: it is the dispatcher's pass or
/// fail of a handled case.
public enum CaseStage: String, CaseIterable, Sendable {
    case reported, accepted, refused, dispatched, handled, closed, deferred, voided

    public var chinese: String {
        switch self {
        case .reported: "上报"
        case .accepted: "立案"
        case .refused: "不予立案"
        case .dispatched: "派遣"
        case .handled: "处置"
        case .closed: "结案"
        case .deferred: "缓办"
        case .voided: "作废"
        }
    }

    /// Whether work is still owed on the case (it can fall overdue).
    public var isOpen: Bool { ![.refused, .closed, .voided].contains(self) }

    /// Stages an Open311 client sees as closed.
    public var open311Status: String { isOpen ? "open" : "closed" }
}

/// Who acts on a case. The built-in accounts map onto these (a reader reports, a planner
/// dispatches); a unit acts only on cases dispatched to it.
public enum CaseRole: String, CaseIterable, Sendable {
    case reporter, dispatcher, unit
}

/// What may be done to a case: each action's stages, roles and required fields are the
/// table below, the only place they are written (`CaseMachine`).
public enum CaseAction: String, CaseIterable, Sendable {
    case accept, refuse, dispatch, redispatch, handle, pass, fail, extend
    case `defer`, resume, void

    public var chinese: String {
        switch self {
        case .accept: "立案"
        case .refuse: "不予立案"
        case .dispatch: "派遣"
        case .redispatch: "转派"
        case .handle: "处置"
        case .pass: "核查通过"
        case .fail: "核查不通过"
        case .extend: "延期"
        case .defer: "缓办"
        case .resume: "恢复办理"
        case .void: "作废"
        }
    }

    /// The stages it may be taken from, the stage it leads to (nil: the stage stays, or for
    /// `resume` the stage the case was deferred from), the roles that may take it, and what
    /// it must carry.
    public struct Rule: Sendable {
        public let from: [CaseStage]
        public let to: CaseStage?
        public let roles: [CaseRole]
        public let needsNote: Bool
        public let needsUnit: Bool
        public let needsDue: Bool
    }

    public var rule: Rule {
        let d: [CaseRole] = [.dispatcher]
        switch self {
        case .accept: return Rule(from: [.reported], to: .accepted, roles: d, needsNote: false, needsUnit: false,
                                  needsDue: false)
        case .refuse: return Rule(from: [.reported], to: .refused, roles: d, needsNote: true, needsUnit: false,
                                  needsDue: false)
        case .dispatch: return Rule(from: [.accepted], to: .dispatched, roles: d, needsNote: false, needsUnit: false,
                                    needsDue: false)
        case .redispatch: return Rule(from: [.dispatched], to: .dispatched, roles: d, needsNote: true, needsUnit: true,
                                      needsDue: false)
        case .handle: return Rule(from: [.dispatched], to: .handled, roles: [.unit, .dispatcher], needsNote: true,
                                  needsUnit: false, needsDue: false)
        case .pass: return Rule(from: [.handled], to: .closed, roles: d, needsNote: false, needsUnit: false,
                                needsDue: false)
        case .fail: return Rule(from: [.handled], to: .dispatched, roles: d, needsNote: true, needsUnit: false,
                                needsDue: false)
        case .extend: return Rule(from: [.accepted, .dispatched, .handled], to: nil, roles: d, needsNote: true,
                                  needsUnit: false, needsDue: true)
        case .defer: return Rule(from: [.accepted, .dispatched], to: .deferred, roles: d, needsNote: true,
                                 needsUnit: false, needsDue: false)
        case .resume: return Rule(from: [.deferred], to: nil, roles: d, needsNote: false, needsUnit: false,
                                  needsDue: false)
        case .void: return Rule(from: [.reported, .accepted, .dispatched, .handled, .deferred], to: .voided, roles: d,
                                needsNote: true, needsUnit: false, needsDue: false)
        }
    }

    /// Reads an action by its English or Chinese name.
    public init?(named text: String) {
        let t = text.lowercased()
        if let a = CaseAction(rawValue: t) { self = a; return }
        guard let a = CaseAction.allCases.first(where: { $0.chinese == text }) else { return nil }
        self = a
    }
}

/// The stage machine: the one way a case's stage changes.
public enum CaseMachine {
    /// The stage `action` by `role` leads to from `state`, or the refusal naming what is allowed.
    public static func next(_ state: CaseState, _ action: CaseAction, role: CaseRole) throws -> CaseStage {
        let rule = action.rule
        guard rule.from.contains(state.stage) else {
            let allowed = CaseAction.allCases.filter { $0.rule.from.contains(state.stage) }
            throw CaseError(.actionNotAllowed,
                            "case \(state.id) is at \(state.stage.rawValue) (\(state.stage.chinese)): "
                + "\(action.rawValue) (\(action.chinese)) is taken only from "
                + rule.from.map(\.rawValue).joined(separator: ", ") + "; from here: "
                + (allowed.isEmpty ? "nothing (the case is finished)"
                   : allowed.map(\.rawValue).joined(separator: ", ")))
        }
        guard rule.roles.contains(role) else {
            throw CaseError(.roleNotAllowed, "\(action.rawValue) (\(action.chinese)) is for "
                + rule.roles.map(\.rawValue).joined(separator: " or ") + ", not \(role.rawValue)")
        }
        switch action {
        case .extend: return state.stage
        case .resume: return state.deferredFrom ?? .accepted
        default: return rule.to ?? state.stage
        }
    }
}
