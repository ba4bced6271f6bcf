import ArgumentParser
import Foundation
import GridMapCore
import GridMapStores
import GridMapPlanning

/// `gridmap-datagen network`: one network (一张网) for a district already generated: seven
/// departments, their units' areas (Voronoi cells of their own seeds, clipped to the outline,
/// so their boundaries cross grid, community and street lines as precincts and work zones do),
/// every enforcement officer placed in a department and the unit covering the grid assigned,
/// and a 60-category catalogue. Deterministic for a seed. All of it is synthetic.
struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Adds departments, units and the category catalogue to a generated district directory.")

    @Option(help: "The district directory (read; departments, units, categories and resources written).")
    var dir = "data/yufeng"
    @Option(help: "Random seed.") var seed: UInt64 = 450203_24

    /// id, name, duty phone, units, unit kind: the departments that sink staff into the grids.
    static let departments: [(id: String, name: String, units: Int, unit: String, share: Int)] = [
        ("D01", "鱼峰区城市管理行政执法局", 9, "执法中队", 60),
        ("D02", "鱼峰区市场监督管理局", 5, "市场监管所", 25),
        ("D03", "鱼峰区环境卫生管理站", 8, "环卫作业片区", 20),
        ("D04", "柳州市公安局鱼峰分局", 6, "派出所", 22),
        ("D05", "柳州市公安局交通警察支队鱼峰大队", 4, "交警中队", 12),
        ("D06", "鱼峰区住房和城乡建设局", 3, "市政设施维护片区", 10),
        ("D07", "柳州市生态环境局鱼峰分局", 2, "环境监察中队", 8),
    ]

    func run() throws {
        var random = SeededRandom(seed: seed)
        let ctx = GEOSContext()
        let dataset = try Dataset.load(directory: dir)
        let outline = try ctx.geometry(dataset.outline)
        let box = dataset.outline.bounds!
        func snap(_ c: Coordinate) -> Coordinate {
            Coordinate((c.x * 1e7).rounded() / 1e7, (c.y * 1e7).rounded() / 1e7)
        }
        func randomInside() throws -> Coordinate {
            while true {
                let p = snap(Coordinate(random.uniform(box.minX, box.maxX), random.uniform(box.minY, box.maxY)))
                if try outline.covers(try ctx.geometry(.point(p))) { return p }
            }
        }
        var units: [Feature] = []
        var unitsOf: [String: [(id: String, geometry: Geometry)]] = [:]
        var departmentRows = [["id", "name", "duty_phone"]]
        for d in Self.departments {
            departmentRows.append([d.id, d.name, "0772-" + String(random.int(3_100_000...3_199_999))])
            let seeds = try (0..<d.units).map { _ in try randomInside() }
            let envelope = try ctx.geometry(.polygon([BoundingBox(minX: box.minX - 0.1, minY: box.minY - 0.1,
                                                                  maxX: box.maxX + 0.1, maxY: box.maxY + 0.1).ring]))
            let cells = d.units == 1 ? [envelope]
                : try ctx.geometry(.multiPoint(seeds)).voronoiCells(envelope: envelope).parts()
            // GEOS's order is its own: number the units west to east by their seeds' cells.
            var placed: [(seed: Coordinate, shape: Shape)] = []
            for cell in cells {
                let clipped = try cell.intersection(outline)
                guard try clipped.area() > 0 else { continue }
                let shape = try clipped.shape()
                let seed = try seeds.first { try cell.covers(try ctx.geometry(.point($0))) } ?? seeds[0]
                placed.append((seed, shape.mapCoordinates(snap)))
            }
            placed.sort { $0.seed.x < $1.seed.x }
            for (k, p) in placed.enumerated() {
                let id = "\(d.id)U\(String(format: "%02d", k + 1))"
                let short = d.name.replacingOccurrences(of: "鱼峰区", with: "").replacingOccurrences(of: "柳州市", with: "")
                let name = short + "第\(k + 1)\(d.unit)"
                units.append(Feature(id: id, properties: [
                    "id": .string(id), "name": .string(name), "department": .string(d.id),
                    "duty_phone": .string("0772-" + String(random.int(3_200_000...3_999_999))),
                ], geometry: p.shape))
                unitsOf[d.id, default: []].append((id, try ctx.geometry(p.shape)))
            }
        }
        // Every enforcement officer into a department (by its share) and the unit of that
        // department whose area holds the grid the officer is assigned to.
        let gridCentre = Dictionary(uniqueKeysWithValues: try dataset.grids.map {
            ($0.id, try ctx.geometry($0.shape).pointOnSurface())
        })
        var tickets: [String] = []
        for d in Self.departments { tickets += Array(repeating: d.id, count: d.share) }
        var staffIndex = 0
        let resources = try dataset.resources.map { r -> Feature in
            var p = r.properties  // as the file has them
            if r.kind == "enforcement", let g = r.gridID, let centre = gridCentre[g] {
                let d = tickets[staffIndex % tickets.count]
                staffIndex += 1
                let unit = try unitsOf[d]!.first { try $0.geometry.covers(centre) } ?? unitsOf[d]![0]
                p["department"] = .string(d)
                p["unit_id"] = .string(unit.id)
            }
            return Feature(id: r.id, properties: p, geometry: .point(r.location))
        }
        try write(GeoJSON.text(units), DataFiles.units)
        try write(GeoJSON.text(resources), DataFiles.resources)
        try write(departmentRows.map(CSV.line).joined(separator: "\n") + "\n", DataFiles.departments)
        try write(Self.catalogue.map(CSV.line).joined(separator: "\n") + "\n", DataFiles.categories)
        print("\(Self.departments.count) departments, \(units.count) units, \(staffIndex) officers placed, "
              + "\(Self.catalogue.count - 1) categories")
    }

    private func write(_ text: String, _ name: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
    }

    /// code (大类 two digits, 小类 two), name, group, department, handler, hours, keywords.
    typealias Group = (code: String, name: String, department: String, items: [(String, Int, String)])
    static let groups: [Group] = [
        ("01", "市容环境", "D03", [("暴露垃圾", 24, "垃圾;乱倒"), ("积存垃圾渣土", 48, "渣土;建筑垃圾"),
                                 ("道路不洁", 24, "路面脏;保洁"), ("垃圾桶满溢", 12, "垃圾桶;满溢"),
                                 ("公厕异味脏乱", 24, "厕所;公厕"), ("动物尸体", 6, "死猫;死狗;尸体")]),
        ("02", "街面秩序", "D01", [("店外经营", 48, "占道经营;店外"), ("流动摊贩", 24, "摆摊;小贩"),
                                 ("占道堆物", 48, "堆放;杂物"), ("乱张贴小广告", 48, "小广告;牛皮癣"),
                                 ("违规户外广告", 72, "广告牌;招牌"), ("露天烧烤", 12, "烧烤;油烟")]),
        ("03", "施工管理", "D01", [("施工扰民", 12, "施工;噪音"), ("工地扬尘", 24, "扬尘;灰尘"),
                                 ("渣土车未密闭", 24, "渣土车;撒漏"), ("违法建设", 72, "违建;搭建")]),
        ("04", "市政设施", "D06", [("井盖缺失破损", 4, "井盖;下水道"), ("路灯不亮", 48, "路灯"),
                                 ("道路破损", 72, "坑洼;路面"), ("道路积水", 12, "积水;内涝"),
                                 ("护栏损坏", 72, "护栏;栏杆"), ("供水管道破裂", 6, "漏水;水管")]),
        ("05", "市场监管", "D02", [("无照经营", 72, "无证;无照"), ("食品安全", 24, "食品;变质"),
                                 ("价格违法", 72, "价格;乱收费"), ("过期商品", 48, "过期"),
                                 ("特种设备隐患", 12, "电梯;锅炉")]),
        ("06", "社会治安", "D04", [("打架斗殴", 1, "打架;斗殴"), ("可疑人员", 2, "可疑"),
                                 ("盗窃", 4, "被偷;盗窃"), ("夜间噪音扰民", 4, "噪音;扰民"),
                                 ("赌博", 12, "赌博"), ("电信诈骗线索", 24, "诈骗")]),
        ("07", "交通管理", "D05", [("违章停车", 4, "乱停车;违停"), ("交通拥堵", 2, "堵车;拥堵"),
                                 ("信号灯故障", 6, "红绿灯;信号灯"), ("占用消防通道停车", 2, "消防通道")]),
        ("08", "环境保护", "D07", [("餐饮油烟", 48, "油烟"), ("河道污染", 48, "河道;污水"),
                                 ("露天焚烧", 6, "焚烧;烧垃圾"), ("工业噪声", 24, "工厂噪音")]),
        ("09", "园林绿化", "D06", [("树木倒伏", 4, "倒树;树木"), ("绿地破坏", 48, "绿地;草坪"),
                                 ("绿化带缺株", 120, "绿化带")]),
        ("10", "民生服务", "", [("邻里纠纷", 72, "纠纷;邻居"), ("困难群众求助", 72, "困难;救助"),
                              ("独居老人关怀", 24, "老人;独居"), ("出租房屋登记", 72, "出租屋;租户"),
                              ("流动人口登记", 72, "流动人口"), ("政策咨询", 72, "咨询;政策")]),
        ("11", "综合治理", "", [("安全隐患排查", 24, "隐患;安全"), ("矛盾纠纷调解", 72, "调解;矛盾"),
                              ("楼道堆物", 48, "楼道;堆物"), ("飞线充电", 12, "充电;电动车"),
                              ("疫情防控", 12, "防疫;疫情"), ("房屋安全隐患", 24, "危房;裂缝"),
                              ("群租房", 72, "群租"), ("高空抛物", 12, "高空;抛物"),
                              ("消防设施损坏", 24, "灭火器;消防栓"), ("其他事项", 72, "")]),
    ]

    static var catalogue: [[String]] {
        var rows = [["code", "name", "group", "department", "handler", "time_limit_hours", "keywords", "time_basis",
                     "attributes"]]
        for g in groups {
            for (k, item) in g.items.enumerated() {
                // Limits of three days and more are the administrative ones: counted in working days.
                rows.append([g.code + String(format: "%02d", k + 1), item.0, g.name, g.department,
                             handler(item.0, department: g.department), String(item.1), item.2,
                             item.1 >= 72 ? TimeBasis.working.rawValue : TimeBasis.natural.rawValue,
                             attributes[item.0].map { JSONValue.array($0).serialized } ?? ""])
            }
        }
        return rows
    }

    /// The questions some categories ask besides the description (Open311 service definition
    /// attributes), one of each datatype among them.
    static let attributes: [String: [JSONValue]] = {
        func list(_ pairs: [(String, String)]) -> JSONValue {
            .array(pairs.map { ["key": .string($0.0), "name": .string($0.1)] })
        }
        return [
            "暴露垃圾": [["code": "volume", "datatype": "singlevaluelist", "required": false, "order": 1,
                       "description": "垃圾量", "values": list([("bag", "一袋以内"), ("cubic", "一立方米以内"),
                                                              ("heap", "一立方米以上")])]],
            "井盖缺失破损": [["code": "state", "datatype": "singlevaluelist", "required": true, "order": 1,
                          "description": "井盖情况", "values": list([("missing", "缺失"), ("broken", "破损"),
                                                                 ("displaced", "移位")])],
                       ["code": "affects", "datatype": "multivaluelist", "required": false, "order": 2,
                        "description": "影响对象", "values": list([("vehicle", "机动车"), ("bicycle", "非机动车"),
                                                               ("pedestrian", "行人")])]],
            "违章停车": [["code": "plate", "datatype": "string", "required": true, "order": 1,
                       "description": "车牌号", "datatype_description": "如 桂B12345"]],
            "高空抛物": [["code": "floor", "datatype": "number", "required": false, "order": 1,
                       "description": "估计楼层"],
                     ["code": "seen_at", "datatype": "datetime", "required": false, "order": 2,
                      "description": "发生时间", "datatype_description": "ISO 8601，如 2026-12-01T20:30:00+08:00"]],
            "其他事项": [["code": "detail", "datatype": "text", "required": false, "order": 1,
                       "description": "补充说明"]],
        ]
    }()

    static func handler(_ name: String, department: String) -> String {
        // 属地 categories: most to the grid worker; disputes to the community, the
        // district-wide ones (safety checks, housing safety) to the street.
        if !department.isEmpty { return "unit" }
        if ["矛盾纠纷调解", "邻里纠纷", "困难群众求助"].contains(name) { return "community" }
        if ["安全隐患排查", "房屋安全隐患", "群租房"].contains(name) { return "street" }
        return "grid_worker"
    }
}
