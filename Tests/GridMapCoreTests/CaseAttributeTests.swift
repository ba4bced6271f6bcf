import Foundation
import GridMapTestSupport
import Testing

@testable import GridMapCases
@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStores

/// A category's attributes (Open311 service definition attributes, from categories.csv): read
/// and refused as data, asked of every report through the engine's request (so of every skin),
/// each refusal naming the attribute and storing nothing, the answers kept with the case on
/// both backends.
@Suite struct CaseAttributeTests {
    static let point = (lon: 109.4200897, lat: 24.3072275)
    static let dispatcher = CaseActor(account: "调度员甲", role: .dispatcher)

    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as KindedError { return e.code } catch { return "\(error)" }
    }

    private func report(_ map: MapView, _ category: String, _ answers: [String], historic: Bool = false) throws
        -> JSONValue
    {
        let r = try CaseReportRequest(place: .point(PointQuery(lon: Self.point.lon, lat: Self.point.lat)),
                                      category: category, description: "有问题",
                                      attributes: try CaseAttributes(codeEqualsValue: answers))
        guard historic else { return try JSONParser.parse(try r.answer(map, actor: Self.dispatcher)) }
        let stamped = try r.intake(map, nowMs: Clock.nowMs, historic: true)
        return .object(stamped.attributes)
    }

    @Test func definitionsAreReadAndBadOnesNamed() throws {
        let catalogue = Dictionary(uniqueKeysWithValues: StoreFixture.dataset.categories.map { ($0.code, $0) })
        let manhole = try #require(catalogue["0401"]?.attributes)
        #expect(manhole.map(\.code) == ["state", "affects"])
        #expect(manhole[0].required && manhole[0].datatype == .singlevaluelist && manhole[0].values.count == 3)
        #expect(manhole[1].datatype == .multivaluelist && !manhole[1].required)
        let datatypes = Set(catalogue.values.flatMap(\.attributes).map(\.datatype))
        #expect(datatypes == Set(ServiceAttribute.Datatype.allCases), "the committed catalogue uses every datatype")
        #expect(catalogue.values.filter { $0.attributes.isEmpty }.count > 50, "most categories ask nothing more")

        func refusal(_ text: String) -> String {
            do { _ = try ServiceAttribute.list(text, category: "0999", source: "categories.csv"); return "" } catch {
                return "\(error)"
            }
        }
        #expect(refusal("[{\"code\": \"a\"").contains("not a JSON array"))
        #expect(refusal(#"[{"code": "a", "datatype": "singlevaluelist", "description": "问"}]"#)
                    .contains("a: a singlevaluelist lists its values"))
        #expect(refusal(#"[{"code": "a", "datatype": "colour", "description": "问"}]"#).contains("datatype 'colour'"))
        #expect(refusal(#"[{"code": "a", "datatype": "number", "description": "问"},"#
                        + #"{"code": "a", "datatype": "text", "description": "再问"}]"#)
                    .contains("code a is there twice"))
        #expect(refusal(#"[{"code": "a b", "datatype": "number", "description": "问"}]"#).contains("code is 1 to 40"))
        #expect(refusal(#"[{"code": "a", "datatype": "number"}]"#).contains("a description"))
        #expect(refusal(#"[{"code": "a", "datatype": "number", "description": "问", "required": "yes"}]"#)
                    .contains("required is true or false"))
        #expect(refusal(#"[{"code": "a", "datatype": "number", "description": "问", "#
                        + #""values": [{"key": "x", "name": "X"}]}]"#)
                    .contains("only a singlevaluelist or multivaluelist has values"))
        #expect(try ServiceAttribute.list("", category: "0999", source: "c").isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func reportsAnswerTheirCategorysAttributes(_ backend: StoreBackend) throws {
        let location = try backend.newLocation("attributes")
        _ = try Stores.create(location, from: StoreFixture.dataset, author: "t", message: "v1")
        let service = try MapService(storeLocation: location)
        let map = MapView(service)
        let count = { try service.cases.with { try $0.count() } }

        // Refused, each naming the attribute and what it takes; nothing stored by any.
        let refusals: [(String, [String], String, String)] = [
            ("0701", [], "missing_attribute", "车牌号"),
            ("0701", ["plate=桂B12345", "plate=桂B54321"], "bad_attribute", "takes one value"),
            ("0701", ["plate=<b>桂B</b>"], "text_not_allowed", "markup"),
            ("0401", ["state=gone"], "bad_attribute", "missing (缺失), broken (破损), displaced (移位)"),
            ("0401", ["state=broken", "affects=vehicle", "affects=vehicle"], "bad_attribute", "twice"),
            ("0401", ["state=broken", "affects=cars"], "bad_attribute", "any of vehicle"),
            ("1108", ["floor=三楼"], "bad_attribute", "a number"),
            ("1108", ["floor=inf"], "bad_attribute", "a number"),
            ("1108", ["seen_at=昨天晚上"], "bad_attribute", "ISO 8601"),
            ("0101", ["colour=red"], "unknown_attribute", "its attributes: volume"),
            ("0102", ["volume=heap"], "unknown_attribute", "it has none"),
        ]
        for (category, answers, expected, words) in refusals {
            do {
                _ = try report(map, category, answers)
                Issue.record("\(category) \(answers) was kept")
            } catch let e as KindedError {
                #expect(e.code == expected, "\(category) \(answers): \(e)")
                #expect("\(e)".contains(words), "\(category) \(answers): \(e)")
                #expect(e.kind == .badRequest)
            }
        }
        #expect(try count() == 0, "no refused report was stored")
        #expect(code { _ = try CaseAttributes(codeEqualsValue: ["plate"]) } == "bad_attribute")
        #expect(code { _ = try CaseAttributes(json: .array([])) } == "bad_attribute")
        #expect(code { _ = try CaseAttributes(codeEqualsValue: Array(repeating: "a=1", count: 51)) } == "too_long")

        // Kept: a list's key, a multivaluelist's keys in the definition's order, a number, a
        // time in China's zone, a line; read back from the store as they were stamped.
        let parked = try report(map, "0701", ["plate=桂B12345"])
        #expect(parked["attributes"] == ["plate": "桂B12345"])
        let manhole = try report(map, "0401", ["state=broken", "affects=pedestrian", "affects=vehicle"])
        #expect(manhole["attributes"] == ["state": "broken", "affects": ["vehicle", "pedestrian"]])
        let thrown = try report(map, "1108", ["floor=12", "seen_at=2026-12-01T12:30:00Z"])
        #expect(thrown["attributes"]?["floor"]?.number == 12)
        #expect(thrown["attributes"]?["seen_at"]?.string?.hasPrefix("2026-12-01T20:30:00") == true)
        let plain = try report(map, "0102", [])
        #expect(plain["attributes"] == .object([:]))
        let fromJSON = try CaseAttributes(json: ["state": "missing", "affects": ["bicycle"]])
        #expect(fromJSON.pairs.map(\.value) == ["missing", "bicycle"])
        #expect(try count() == 4)
        let again = try MapService(storeLocation: location)
        let id = try #require(manhole["id"]?.int)
        let read = try JSONParser.parse(try CaseGetRequest(id: id).answer(MapView(again), actor: Self.dispatcher))
        #expect(read["attributes"] == manhole["attributes"], "kept in the store as stamped")

        // An imported historic report is not held to what the catalogue requires now.
        #expect(try report(map, "0701", [], historic: true) == .object([:]))
        #expect(code { _ = try report(map, "0401", ["state=gone"], historic: true) } == "bad_attribute")
    }
}

/// Times as clients read them (China's time, written digit by digit) against Foundation's own
/// formatter on random moments from 1970 to 9999 and on the edges of days and years.
@Suite struct ChinaTimeTests {
    @Test func digitsAgreeWithFoundation() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+08:00'"
        var generator = SystemRandomNumberGenerator()
        var moments: [Int64] = [0, 999, 1000, 57_599_999, 57_600_000, 1_796_659_199_999, 1_796_659_200_000,
                                253_402_271_999_000]
        for _ in 0..<20_000 { moments.append(Int64.random(in: 0...253_402_271_999_000, using: &generator)) }
        let wrong = moments.filter {
            CaseCoding.chinaTime($0) != f.string(from: Date(timeIntervalSince1970: Double($0 / 1000)))
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(3).map { ($0, CaseCoding.chinaTime($0)) })")
    }
}
