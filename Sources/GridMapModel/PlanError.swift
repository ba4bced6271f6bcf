import GridMapGeometry

/// A planning operation or publish that cannot be done, with a typed code a client can branch
/// on (`not_crossing`, `not_adjacent`, `conflict`, …) and a message a planner can act on. An
/// operation that throws leaves its draft unchanged.
public struct PlanError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Every planning refusal: its wire code, its kind and its words for a planner (the pages
    /// read them from `/api/plan/texts`, not from a copy of their own).
    public enum Code: String, CaseIterable, Sendable {
        case badArea = "bad_area"
        case badBoundary = "bad_boundary"
        case badField = "bad_field"
        case badLayer = "bad_layer"
        case badLine = "bad_line"
        case badMerge = "bad_merge"
        case badMessage = "bad_message"
        case badName = "bad_name"
        case badTransfer = "bad_transfer"
        case badValue = "bad_value"
        case cannotUndo = "cannot_undo"
        case codesExhausted = "codes_exhausted"
        case conflict = "conflict"
        case coversOther = "covers_other"
        case draftChanged = "draft_changed"
        case draftClosed = "draft_closed"
        case duplicateId = "duplicate_id"
        case emptiesGrid = "empties_grid"
        case emptyDraft = "empty_draft"
        case emptyTransfer = "empty_transfer"
        case inexact = "inexact"
        case invalid = "invalid"
        case invalidArea = "invalid_area"
        case leavesGrids = "leaves_grids"
        case multipartGrid = "multipart_grid"
        case noChange = "no_change"
        case notAdjacent = "not_adjacent"
        case notCrossing = "not_crossing"
        case notNeighbour = "not_neighbour"
        case notSameCommunity = "not_same_community"
        case notStaff = "not_staff"
        case notTouching = "not_touching"
        case nothingToUndo = "nothing_to_undo"
        case outsideDistrict = "outside_district"
        case sameCommunity = "same_community"
        case sliver = "sliver"
        case splitsGrid = "splits_grid"
        case takesWholeGrid = "takes_whole_grid"
        case unknownCommunity = "unknown_community"
        case unknownDepartment = "unknown_department"
        case unknownDraft = "unknown_draft"
        case unknownGrid = "unknown_grid"
        case unknownResource = "unknown_resource"
        case wrongEnds = "wrong_ends"

        /// Unknown things are not found; a draft overtaken by another publish is a conflict;
        /// every other refusal is the planner's request.
        public var kind: ErrorKind {
            switch self {
            case .unknownCommunity, .unknownDepartment, .unknownDraft, .unknownGrid, .unknownResource: .notFound
            case .conflict, .draftChanged, .draftClosed: .conflict
            case .badArea, .badBoundary, .badField, .badLayer, .badLine, .badMerge, .badMessage, .badName,
                 .badTransfer, .badValue, .cannotUndo, .codesExhausted, .coversOther, .duplicateId,
                 .emptiesGrid, .emptyDraft, .emptyTransfer, .inexact, .invalid, .invalidArea, .leavesGrids,
                 .multipartGrid, .noChange, .notAdjacent, .notCrossing, .notNeighbour, .notSameCommunity,
                 .notStaff, .notTouching, .nothingToUndo, .outsideDistrict, .sameCommunity, .sliver,
                 .splitsGrid, .takesWholeGrid, .wrongEnds:
                .badRequest
            }
        }

        /// What the planner's page says (the engine's own message follows it).
        public var text: String {
            switch self {
            case .badArea: "区域不合规"
            case .badBoundary: "新边界不合规"
            case .badField: "不能修改这个字段"
            case .badLayer: "图层不合规"
            case .badLine: "线不合规"
            case .badMerge: "不能这样合并"
            case .badMessage: "说明不合规"
            case .badName: "草稿需要名称"
            case .badTransfer: "不能这样划转"
            case .badValue: "数值不合规"
            case .cannotUndo: "这一步不能撤销"
            case .codesExhausted: "社区的网格编码已用尽"
            case .conflict: "与他人已发布的版本冲突"
            case .coversOther: "区域涉及其他网格"
            case .draftChanged: "草稿刚被他人修改，请重试"
            case .draftClosed: "草稿已关闭"
            case .duplicateId: "编号重复"
            case .emptiesGrid: "操作会使网格为空"
            case .emptyDraft: "草稿没有任何改动"
            case .emptyTransfer: "区域与来源网格没有重叠"
            case .inexact: "边界不精确"
            case .invalid: "校验有错误，不能发布"
            case .invalidArea: "区域不合规"
            case .leavesGrids: "操作会留下空隙"
            case .multipartGrid: "网格由多块组成，不能这样操作"
            case .noChange: "没有改动"
            case .notAdjacent: "所选网格不相邻"
            case .notCrossing: "分割线没有完整穿过网格"
            case .notNeighbour: "两个网格不相邻"
            case .notSameCommunity: "所选网格不在同一社区"
            case .notStaff: "只能指派网格员或执法人员"
            case .notTouching: "区域没有接触接收网格"
            case .nothingToUndo: "没有可撤销的操作"
            case .outsideDistrict: "超出辖区范围"
            case .sameCommunity: "网格已在该社区"
            case .sliver: "会产生过小的碎片"
            case .splitsGrid: "操作会把网格分成不相连的几块"
            case .takesWholeGrid: "不能划走整个网格"
            case .unknownCommunity: "没有这个社区"
            case .unknownDepartment: "没有这个部门"
            case .unknownDraft: "没有这个草稿"
            case .unknownGrid: "没有这个网格"
            case .unknownResource: "没有这个人员"
            case .wrongEnds: "新边界的两端必须在原边界上"
            }
        }
    }

    public let typed: Code
    public let message: String
    /// The grids (or resources) the error is about.
    public let ids: [String]
    public var code: String { typed.rawValue }

    public init(_ code: Code, _ message: String, ids: [String] = []) {
        self.typed = code
        self.message = message
        self.ids = ids
    }

    public var description: String { "\(code): \(message)" }

    package static func unknownGrid(_ id: String) -> PlanError {
        PlanError(.unknownGrid, "no grid \(id) in this draft", ids: [id])
    }
}
