import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// The impact report as a picture of the changed area: boundaries before (grey, dashed) and
/// after (red, each new grid tinted and labelled), moved addresses as blue dots, a legend.
/// Labels name a CJK font family first, then fall back to any sans-serif font.
extension ImpactReport {
    public var svg: String {
        var box: BoundingBox?
        for s in Array(shapesBefore.values) + Array(shapesAfter.values) {
            if let b = s.bounds { box == nil ? (box = b) : box!.include(b) }
        }
        guard var b = box else {
            return #"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60"><text x="10" y="35">"#
                + "no grid changes</text></svg>\n"
        }
        let margin = max(b.maxX - b.minX, b.maxY - b.minY) * 0.08
        b = BoundingBox(minX: b.minX - margin, minY: b.minY - margin, maxX: b.maxX + margin, maxY: b.maxY + margin)
        let squeeze = cos(b.center.y * .pi / 180)
        let width = 900.0
        let legend = 96.0
        let scale = width / ((b.maxX - b.minX) * squeeze)
        let height = (b.maxY - b.minY) * scale + legend
        func x(_ c: Coordinate) -> String { String(format: "%.1f", (c.x - b.minX) * squeeze * scale) }
        func y(_ c: Coordinate) -> String { String(format: "%.1f", (b.maxY - c.y) * scale + legend) }
        func path(_ s: Shape) -> String {
            s.polygons.flatMap { $0 }.map { ring in
                "M" + ring.dropLast().map { "\(x($0)) \(y($0))" }.joined(separator: " L") + " Z"
            }.joined(separator: " ")
        }
        let font =
            "font-family=\"Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, WenQuanYi Zen Hei, "
            + "Microsoft YaHei, sans-serif\""
        let tints = ["#fde0dd", "#e5f5e0", "#deebf7", "#fff7bc", "#efedf5", "#fee6ce"]
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height.rounded()))\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height.rounded()))\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        ]
        let geos = ThreadResources.current.geos
        let context = Set(grids.filter { $0.status == "vertices_added" }.map(\.id))
        for (k, id) in shapesAfter.keys.sorted().enumerated() {
            // Neighbours that only gained vertices are context: grey, unlabelled.
            let fill = context.contains(id) ? "#f0f0f0" : tints[k % tints.count]
            let stroke = context.contains(id) ? "#bbb" : "#d62728"
            out.append(
                "<path d=\"\(path(shapesAfter[id]!))\" fill=\"\(fill)\" fill-rule=\"evenodd\" "
                    + "stroke=\"\(stroke)\" stroke-width=\"2\"/>")
        }
        for id in shapesBefore.keys.sorted() {
            out.append(
                "<path d=\"\(path(shapesBefore[id]!))\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\" "
                    + "stroke-dasharray=\"6 4\"/>")
        }
        for a in movedAddresses {
            out.append("<circle cx=\"\(x(a.location))\" cy=\"\(y(a.location))\" r=\"3\" fill=\"#1f77b4\"/>")
        }
        let names = Dictionary(grids.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        for id in shapesAfter.keys.sorted() where !context.contains(id) {
            guard let at = try? geos.geometry(shapesAfter[id]!).pointOnSurface().coordinate() else { continue }
            out.append(
                "<text x=\"\(x(at))\" y=\"\(y(at))\" \(font) font-size=\"14\" text-anchor=\"middle\" "
                    + "fill=\"#222\">\(xml(names[id] ?? id))</text>")
            out.append(
                "<text x=\"\(x(at))\" y=\"\(String(format: "%.1f", Double(y(at))! + 16))\" \(font) "
                    + "font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">\(xml(id))</text>")
        }
        out.append(contentsOf: [
            "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(legend - 8))\" fill=\"#f7f7f7\"/>",
            "<text x=\"12\" y=\"26\" \(font) font-size=\"17\" font-weight=\"bold\">"
                + "网格调整影响（对比版本 \(base)）</text>",
            "<line x1=\"12\" y1=\"50\" x2=\"52\" y2=\"50\" stroke=\"#555\" stroke-width=\"1.5\" "
                + "stroke-dasharray=\"6 4\"/>",
            "<text x=\"60\" y=\"55\" \(font) font-size=\"13\">调整前边界</text>",
            "<line x1=\"170\" y1=\"50\" x2=\"210\" y2=\"50\" stroke=\"#d62728\" stroke-width=\"2\"/>",
            "<text x=\"218\" y=\"55\" \(font) font-size=\"13\">调整后边界</text>",
            "<circle cx=\"335\" cy=\"50\" r=\"4\" fill=\"#1f77b4\"/>",
            "<text x=\"345\" y=\"55\" \(font) font-size=\"13\">迁移地址 \(movedAddresses.count) 个"
                + "（约 \(residentsMoved) 人）</text>",
            "<text x=\"12\" y=\"78\" \(font) font-size=\"12\" fill=\"#555\">新增编码 \(created.count) 个，"
                + "撤销编码 \(retired.count) 个，人员调整 \(staff.count) 人</text>",
            "</svg>",
        ])
        return out.joined(separator: "\n") + "\n"
    }

    private func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension ImpactReport {
    /// The changed grids before and after, as a GeoJSON FeatureCollection (property `state`:
    /// `before` or `after`), for a map to draw over the base.
    public var changesGeoJSON: JSONValue {
        func features(_ shapes: [String: Shape], _ state: String) -> [JSONValue] {
            shapes.keys.sorted().map { id in
                ["type": "Feature", "id": .string(id), "properties": ["id": .string(id), "state": .string(state)],
                 "geometry": GeoJSON.json(shapes[id]!)]
            }
        }
        return ["type": "FeatureCollection",
                "features": .array(features(shapesBefore, "before") + features(shapesAfter, "after"))]
    }
}
