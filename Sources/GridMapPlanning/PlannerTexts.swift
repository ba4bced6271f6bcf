import GridMapCore

/// The pages' words for the engine's codes, in one place the server serves (`GET /api/texts`,
/// `GET /api/plan/texts`): every refusal's (`RefusalTexts`, with planning's declared beside its
/// code, `PlanError.Code`), and the validation rules' names. The pages read them from there
/// rather than keeping a copy.
public enum PlannerTexts {
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
        let refusals = RefusalTexts.all(PlanError.Code.allCases.map { ($0.rawValue, $0.text) })
        var names = JSONObject()
        for (rule, text) in rules { names[rule] = .string(text) }
        return ["refusals": .object(refusals), "rules": .object(names)]
    }
}
