import GridMapCore

/// The planner's words for the engine's codes, in one place the server serves
/// (`GET /api/plan/texts`): each planning refusal's (declared beside its code, `PlanError.Code`),
/// the other refusals a planner meets, and the validation rules' names. The planner's page reads
/// them from there rather than keeping a copy.
public enum PlannerTexts {
    /// Refusals a planner meets that are not planning's own.
    static let otherRefusals: [(String, String)] = [
        ("stale_version", "版本已过期"), ("forbidden", "没有规划权限"), ("nothing_to_publish", "内容与当前版本相同"),
        ("retired_code", "网格编码已退役，不能再用"), ("bad_geometry", "图形不合规"), ("missing", "缺少参数"),
        ("unknown_operation", "没有这个操作"),
    ]

    /// The validation rules (`Finding.rule`) as planners name them.
    static let rules: [(String, String)] = [
        ("invalid_polygon", "图形无效"), ("overlap", "网格重叠"), ("gap", "存在空隙"), ("outside_district", "超出辖区"),
        ("crosses_community", "跨越社区边界"), ("crosses_street", "跨越街道边界"), ("street_mismatch", "街道不一致"),
        ("sliver", "碎片过小"), ("code_malformed", "编码格式错误"), ("code_duplicated", "编码重复"),
        ("code_not_in_community", "编码与社区不符"), ("no_grid_worker", "未配网格员"),
        ("staff_unknown_grid", "人员指派到不存在的网格"), ("multipart", "网格由多块组成"), ("holes", "网格有洞"),
        ("unmatched_vertices", "共同边界顶点不一致"), ("households_range", "户数超出范围"),
        ("unit_gap", "部门辖区空隙"), ("unit_overlap", "部门辖区重叠"), ("category_without_units", "类别无责任单位"),
    ]

    /// `{"refusals": {code: text}, "rules": {rule: text}}`.
    public static var json: JSONValue {
        var refusals = JSONObject()
        for code in PlanError.Code.allCases { refusals[code.rawValue] = .string(code.text) }
        for (code, text) in otherRefusals { refusals[code] = .string(text) }
        var names = JSONObject()
        for (rule, text) in rules { names[rule] = .string(text) }
        return ["refusals": .object(refusals), "rules": .object(names)]
    }
}
