import Foundation
import GridMapCore
import GridMapNetwork
import GridMapHTTP
import GridMapTestSupport
import HTTPTypes
import NIOCore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif
import GridMapStores

/// Cases over HTTP and Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2: POST Service
/// Request, GET Service Requests, GET Service Request): a report as FixMyStreet's Open311
/// sender posts it, read back in JSON and XML, acted on through `/api/cases`, with the
/// specification's errors and no contact shown to a reader.
@Suite struct CaseHTTPTests {
    static let requestFields: Set = [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url",
    ]

    /// Each `<request>`'s elements, as name → text.
    final class Requests: NSObject, XMLParserDelegate {
        var rows: [[String: String]] = []
        private var current: [String: String]?
        private var text = ""
        func parser(_ p: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "request" { current = [:] }
            text = ""
        }
        func parser(_ p: XMLParser, foundCharacters s: String) { text += s }
        func parser(_ p: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "request", let c = current { rows.append(c); current = nil } else { current?[name] = text }
        }
    }

    private func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map {
            $0.addingPercentEncoding(withAllowedCharacters: allowed)! + "="
                + $1.addingPercentEncoding(withAllowedCharacters: allowed)!
        }.joined(separator: "&"))
    }

    @Test func open311ReportsAreKeptStampedAndReadBack() async throws {
        let path = Scratch.path("cases-http") + ".gridmap"
        _ = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        var access = Credentials()
        access.readerPassword = "k3y"
        access.plannerPassword = "p1an"
        let service = try MapService(storeLocation: path)
        try await withServer(map: ServedMap(service), access: access) { client in
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            // As FixMyStreet's Open311 sender posts it.
            let fields = [("api_key", "k3y"), ("service_code", "0101"), ("lat", "24.3072275"),
                          ("long", "109.4200897"), ("description", "人行道上堆放垃圾"), ("first_name", "三"),
                          ("last_name", "张"), ("email", "zhang@example.cn"), ("device_id", "fms-1"),
                          ("media_url", "https://example.cn/p/1.jpg")]
            let posted = try await client.execute(uri: "/open311/v2/requests.xml", method: .post, headers: formType,
                                                  body: form(fields))
            #expect(posted.status == .created, "\(String(buffer: posted.body))")
            let ack = Requests()
            let parser = XMLParser(data: Data(String(buffer: posted.body).utf8))
            parser.delegate = ack
            #expect(parser.parse())
            let id = try #require(ack.rows.first?["service_request_id"])
            #expect(ack.rows.first?["service_notice"]?.contains("办结") == true)
            // A retried POST from the device makes no second case.
            let retried = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formType,
                                                   body: form(fields))
            let again = try json(retried)
            #expect(retried.status == .ok && again.array?.first?["service_request_id"]?.string == id)

            // The specification's errors; nothing stored by any of them.
            for (bad, status) in [([("api_key", "nope")] + fields.dropFirst(), HTTPResponse.Status.forbidden),
                                  (fields.filter { $0.0 != "service_code" }, .badRequest),
                                  ([("service_code", "9999")] + fields.filter { $0.0 != "service_code" }, .notFound),
                                  (fields + [("attribute[depth]", "3")], .badRequest),
                                  (fields.map { $0.0 == "description" ? ($0.0, "<b>x</b>") : $0 }, .badRequest)] {
                let r = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formType,
                                                 body: form(bad.filter { $0.0 != "device_id" }))
                #expect(r.status == status, "\(String(buffer: r.body))")
                let answer = try json(r)
                #expect(answer.array?.first?["code"]?.int == Int(status.code))
            }
            // JSON is not the form the specification posts.
            let asJSON = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                  headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: "{}"))
            #expect(asJSON.status == .unsupportedMediaType)
            #expect(try service.cases.with { try $0.count() } == 1)

            // A service with attributes: `attribute[code]`, a multivaluelist as `attribute[code][]`;
            // a required one missing or a value not of the list refused, naming the attribute.
            let manhole = [("api_key", "k3y"), ("service_code", "0401"), ("lat", "24.3072275"),
                           ("long", "109.4200897"), ("description", "井盖破了")]
            for (answers, words) in [([("attribute[affects][]", "vehicle")], "requires attribute 'state'"),
                                     ([("attribute[state]", "stolen")], "cannot be 'stolen'")] {
                let r = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formType,
                                                 body: form(manhole + answers))
                #expect(r.status == .badRequest && String(buffer: r.body).contains(words), "\(String(buffer: r.body))")
            }
            #expect(try service.cases.with { try $0.count() } == 1)
            let answered = try await client.execute(
                uri: "/open311/v2/requests.json", method: .post, headers: formType,
                body: form(manhole + [("attribute[state]", "broken"), ("attribute[affects][]", "pedestrian"),
                                      ("attribute[affects][]", "vehicle")]))
            #expect(answered.status == .created, "\(String(buffer: answered.body))")
            let madeID = try #require(try json(answered).array?.first?["service_request_id"]?.string)
            let asDispatcher: HTTPFields = [.authorization: "Basic "
                                                + Data("planner:p1an".utf8).base64EncodedString()]
            let made = try json(try await client.execute(uri: "/api/cases/\(madeID)", method: .get,
                                                         headers: asDispatcher))
            #expect(made["attributes"] == ["state": "broken", "affects": ["vehicle", "pedestrian"]], "\(made)")

            // Read back: one request, the list, the XML, every field of the specification.
            let reader: HTTPFields = [.authorization: "Basic " + Data("default:k3y".utf8).base64EncodedString()]
            let one = try json(try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get,
                                                        headers: reader))
            let row = try #require(one.array?.first)
            #expect(Set(row.object?.keys ?? []) == Self.requestFields)
            #expect(row["status"] == "open" && row["service_code"] == "0101" && row["lat"]?.number == 24.3072275)
            #expect(row["agency_responsible"]?.string?.isEmpty == false && row["expected_datetime"] != nil)
            #expect(!String(describing: one).contains("zhang@example.cn"), "a reader sees no contact")
            let list = try json(try await client.execute(
                uri: "/open311/v2/requests.json?service_code=0101&status=open", method: .get, headers: reader))
            #expect(list.array?.count == 1 && list.array?.first?["service_request_id"]?.string == id)
            let closedOnly = try json(try await client.execute(uri: "/open311/v2/requests.json?status=closed",
                                                               method: .get, headers: reader))
            #expect(closedOnly.array?.isEmpty == true, "\(closedOnly.serialized.prefix(300))")
            let missing = try await client.execute(uri: "/open311/v2/requests/99999.json", method: .get,
                                                   headers: reader)
            #expect(missing.status == .notFound)
            let tooLong = try await client.execute(
                uri: "/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-06-01", method: .get,
                headers: reader)
            #expect(tooLong.status == .badRequest)

            // A dispatcher (the planner account) takes it through to its close over /api/cases.
            let planner: HTTPFields = [.authorization: "Basic " + Data("planner:p1an".utf8).base64EncodedString(),
                                       .contentType: "application/json"]
            for (action, body) in [("accept", "{}"), ("dispatch", "{}"), ("handle", #"{"note":"已清运"}"#),
                                   ("pass", #"{"expect":4}"#)] {
                let r = try await client.execute(uri: "/api/cases/\(id)/\(action)", method: .post, headers: planner,
                                                 body: ByteBuffer(string: body))
                #expect(r.status == .ok, "\(action): \(String(buffer: r.body))")
            }
            // A reader may not act; a wrong stage is a conflict naming what is allowed.
            let asReader = try await client.execute(
                uri: "/api/cases/\(id)/void", method: .post,
                headers: reader.merging([.contentType: "application/json"]), body: ByteBuffer(string: #"{"note":"x"}"#))
            #expect(asReader.status == .conflict || asReader.status == .forbidden)
            let full = try json(try await client.execute(uri: "/api/cases/\(id)", method: .get, headers: planner))
            #expect(full["stage"] == "closed" && full["history"]?.array?.count == 5)
            #expect(full["contact"]?["email"] == "zhang@example.cn", "a dispatcher sees the contact")
            let closed = try json(try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get,
                                                           headers: reader))
            #expect(closed.array?.first?["status"] == "closed" && closed.array?.first?["status_notes"] == "已清运")
            let geo = try json(try await client.execute(uri: "/api/cases?format=geojson&stage=closed", method: .get,
                                                        headers: reader))
            #expect(geo["features"]?.array?.count == 1)
        }
    }

    @Test func aReaderPasswordWithAColonIsStillAnAPIKey() async throws {
        let path = Scratch.path("cases-colon") + ".gridmap"
        _ = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        let service = try MapService(storeLocation: path)
        var access = Credentials(readerPassword: "fms:k3y", plannerPassword: "p1an")
        access.accounts = service.cases
        try await withServer(map: ServedMap(service), access: access) { client in
            let fields = [("service_code", "0101"), ("lat", "24.3072275"), ("long", "109.4200897")]
            for (key, status) in [("fms:k3y", HTTPResponse.Status.created), ("fms:nope", .forbidden)] {
                let r = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                 headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: form([("api_key", key)] + fields))
                #expect(r.status == status, "\(key): \(String(buffer: r.body))")
            }
        }
    }

    @Test func accountsOverBasicAndOpen311Keys() async throws {
        let path = Scratch.path("cases-accounts") + ".gridmap"
        _ = try Stores.create(path, from: snapshot.dataset, author: "t", message: "t")
        let service = try MapService(storeLocation: path)
        let reporterKey = try service.cases.with { try $0.addAccount("fms", role: .reporter, unit: nil, nowMs: 1) }
        let dispatcherKey = try service.cases.with {
            try $0.addAccount("diaodu", role: .dispatcher, unit: nil, nowMs: 1)
        }
        var access = Credentials()
        access.readerPassword = "k3y"
        access.plannerPassword = "p1an"
        access.accounts = service.cases
        try await withServer(map: ServedMap(service), access: access) { client in
            let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let fields = [("service_code", "0101"), ("lat", "24.3072275"), ("long", "109.4200897"),
                          ("description", "井盖缺失"), ("email", "li@example.cn")]
            let wrong = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formType,
                                                 body: form([("api_key", "fms:" + reporterKey + "x")] + fields))
            #expect(wrong.status == .forbidden)
            let posted = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formType,
                                                  body: form([("api_key", "fms:" + reporterKey)] + fields))
            #expect(posted.status == .created, "\(String(buffer: posted.body))")
            let id = try #require(try json(posted).array?.first?["service_request_id"]?.string)

            func basic(_ user: String, _ secret: String) -> HTTPFields {
                [.authorization: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString(),
                 .contentType: "application/json"]
            }
            let refused = try await client.execute(uri: "/api/cases/\(id)/accept", method: .post,
                                                   headers: basic("fms", reporterKey), body: ByteBuffer(string: "{}"))
            #expect(refused.status == .forbidden, "\(String(buffer: refused.body))")
            let accepted = try await client.execute(uri: "/api/cases/\(id)/accept", method: .post,
                                                    headers: basic("diaodu", dispatcherKey),
                                                    body: ByteBuffer(string: "{\"note\": \"受理\"}"))
            #expect(accepted.status == .ok, "\(String(buffer: accepted.body))")
            let got = try json(try await client.execute(uri: "/api/cases/\(id)", method: .get,
                                                        headers: basic("diaodu", dispatcherKey)))
            #expect(got["contact"]?["email"] == "li@example.cn")
            #expect(got["history"]?.array?.compactMap { $0["account"]?.string } == ["fms", "diaodu"])
            let badSecret = try await client.execute(uri: "/api/cases/\(id)", method: .get,
                                                     headers: basic("diaodu", "guess"))
            #expect(badSecret.status == .unauthorized)

            // A JSON report with a key: made once (201), the same case answered again (200).
            let body = #"{"lon": 109.4200897, "lat": 24.3072275, "category": "0101", "key": "pda-9-1"}"#
            var made: [Int?] = []
            for expected in [HTTPResponse.Status.created, .ok] {
                let r = try await client.execute(uri: "/api/cases", method: .post, headers: basic("fms", reporterKey),
                                                 body: ByteBuffer(string: body))
                #expect(r.status == expected, "\(String(buffer: r.body))")
                made.append(try json(r)["id"]?.int)
            }
            #expect(made[0] != nil && made[0] == made[1])

            // The measures, as JSON and as a spreadsheet's CSV (Chinese headers, the formula row).
            let period = "from=2000-01-01&to=2100-01-01&attribution=stamped"
            let stats = try json(try await client.execute(uri: "/api/stats?by=street&\(period)", method: .get,
                                                          headers: basic("diaodu", dispatcherKey)))
            #expect(stats["attribution"] == "stamped" && stats["rows"]?.array?.first?["reported"] == 2)
            #expect(stats["rows"]?.array?.first?["accepted"] == 1)
            let csv = try await client.execute(uri: "/api/stats?by=street&\(period)&format=csv", method: .get,
                                               headers: basic("diaodu", dispatcherKey))
            let text = String(buffer: csv.body)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(text.hasPrefix("\u{FEFF}编号,名称,上报数") && text.contains("结案数÷(应结案数−缓办数)"))
            let bad = try await client.execute(uri: "/api/stats?by=planet&\(period)", method: .get,
                                               headers: basic("diaodu", dispatcherKey))
            #expect(bad.status == .badRequest)
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var out = self
        for f in other { out.append(f) }
        return out
    }
}
