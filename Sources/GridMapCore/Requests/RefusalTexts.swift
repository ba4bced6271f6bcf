import GridMapCases
import GridMapGeometry
import GridMapModel

/// The words a person at the map reads for each refusal code, in one place the server serves
/// (`GET /api/texts`, and `/api/plan/texts` for the planner's page): the case log's and
/// planning's are declared beside their codes (`CaseError.Code.text`, `PlanError.Code.text`);
/// here are those of the requests and the store, whose codes are not typed enums yet. The pages
/// keep no copy: until the texts arrive, or if they cannot, the server's own message stands.
public enum RefusalTexts {
    /// Refusals of the requests, the store and access, by wire code.
    static let requests: [(String, String)] = [
        ("stale_version", "版本已过期"), ("nothing_to_publish", "内容与当前版本相同"),
        ("retired_code", "网格编码已退役，不能再用"), ("bad_geometry", "图形不合规"), ("missing", "缺少参数"),
        ("unknown_operation", "没有这个操作"), ("forbidden", "当前身份无权执行此操作。"), ("unauthorized", "需要登录。"),
        ("unknown_category", "没有这个事件类别。"), ("address_not_found", "没有找到这个地址，请在地图上点选位置。"),
        ("missing_attribute", "该类别要求填写的项目没有填写。"), ("bad_attribute", "填写的项目不符合该类别的要求。"),
        ("unknown_attribute", "该类别没有这个填写项目。"),
    ]

    /// `{code: text}` for every code above and `more` (planning's, from the target that
    /// declares them); a code of the case log or `more` keeps its own text.
    public static func all(_ more: [(String, String)] = []) -> JSONObject {
        var out = JSONObject()
        for (code, text) in requests { out[code] = .string(text) }
        for code in CaseError.Code.allCases { out[code.rawValue] = .string(code.text) }
        for (code, text) in more { out[code] = .string(text) }
        return out
    }
}
