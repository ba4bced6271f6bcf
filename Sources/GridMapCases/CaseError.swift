import GridMapGeometry

/// A refusal of the case log, with a typed code and its kind.
public struct CaseError: KindedError, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case unknownCase = "unknown_case"
        case staleCase = "stale_case"
        case actionNotAllowed = "action_not_allowed"
        case roleNotAllowed = "role_not_allowed"
        case unknownAction = "unknown_action"
        case badCase = "bad_case"
        case missingField = "missing_field"
        case textNotAllowed = "text_not_allowed"
        case unknownUnit = "unknown_unit"
        case badDue = "bad_due"
        case caseLogUnavailable = "case_log_unavailable"
        case unknownAccount = "unknown_account"
        case accountExists = "account_exists"
        case badAccount = "bad_account"

        public var kind: ErrorKind {
            switch self {
            case .unknownCase, .unknownAccount: .notFound
            case .accountExists: .conflict
            case .staleCase, .actionNotAllowed: .conflict
            case .roleNotAllowed: .forbidden
            case .caseLogUnavailable: .unavailable
            default: .badRequest
            }
        }
    }

    public let typed: Code
    public let message: String
    public var code: String { typed.rawValue }
    public var kind: ErrorKind { typed.kind }

    public init(_ code: Code, _ message: String) {
        typed = code
        self.message = message
    }
}
