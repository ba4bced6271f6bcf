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
            case .unknownAction, .badCase, .missingField, .textNotAllowed, .unknownUnit, .badDue, .badAccount:
                .badRequest
            }
        }

        /// What the dispatcher's page says (the server's own message as its tooltip); the
        /// pages read these from `/api/texts`.
        public var text: String {
            switch self {
            case .unknownCase: "没有这个案件。"
            case .staleCase: "案件已被他人办理，本次操作未执行。已重新读取案件，请核对后再操作。"
            case .actionNotAllowed: "案件当前阶段不能执行此操作。"
            case .roleNotAllowed: "当前身份无权执行此操作，请以调度员登录。"
            case .unknownAction: "没有这个操作。"
            case .badCase: "内容不符合要求。"
            case .missingField: "缺少必填内容（说明、单位或期限）。"
            case .textNotAllowed: "文字中不能含有标记（如 <…>）或控制字符。"
            case .unknownUnit: "地图上没有这个单位。"
            case .badDue: "延期时间无效：须晚于现有期限。"
            case .caseLogUnavailable: "案件库暂时不可用，请稍后再试。"
            case .unknownAccount: "没有这个账户。"
            case .accountExists: "账户已存在。"
            case .badAccount: "账户信息不符合要求。"
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
