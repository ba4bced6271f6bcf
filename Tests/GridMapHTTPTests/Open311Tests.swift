import Foundation
import GridMapCore
import GridMapHTTP
import GridMapTestSupport
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif
import GridMapStores
import GridMapPlanning

/// Open311 GeoReport v2 discovery, checked against the specification's field lists
/// (wiki.open311.org/GeoReport_v2: "GET Service List" and "GET Service Definition").
@Suite struct Open311Tests {
    static let serviceFields: Set = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                                     "group"]
    static let types: Set = ["realtime", "batch", "blackbox"]

    /// The elements of each `<service>` of an XML service list, as name → text.
    final class ServiceList: NSObject, XMLParserDelegate {
        var services: [[String: String]] = []
        private var current: [String: String]?
        private var text = ""
        func parser(_ p: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "service" { current = [:] }
            text = ""
        }
        func parser(_ p: XMLParser, foundCharacters s: String) { text += s }
        func parser(_ p: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "service", let c = current { services.append(c); current = nil } else { current?[name] = text }
        }
    }

    @Test func theCatalogueAsGeoReportV2() async throws {
        try await withServer { client in
            let list = try await client.execute(uri: "/open311/v2/services.json", method: .get)
            #expect(list.status == .ok)
            let services = try #require(try json(list).array)
            #expect(services.count == snapshot.dataset.categories.count && services.count == 60)
            let asking = Set(snapshot.dataset.categories.filter { !$0.attributes.isEmpty }.map(\.code))
            #expect(asking == ["0101", "0401", "0701", "1108", "1110"])
            for s in services {
                #expect(Set(s.object?.keys ?? []) == Self.serviceFields, "\(s.serialized)")
                #expect(s["metadata"] == .bool(asking.contains(s["service_code"]?.string ?? "")))
                #expect(Self.types.contains(s["type"]?.string ?? ""))
                #expect(s["service_code"]?.string?.isEmpty == false && s["group"]?.string?.isEmpty == false)
            }
            let codes = services.compactMap { $0["service_code"]?.string }
            #expect(codes == snapshot.dataset.categories.map(\.code))

            let xml = try await client.execute(uri: "/open311/v2/services.xml?jurisdiction_id=450203", method: .get)
            #expect(xml.status == .ok && xml.headers[.contentType]?.hasPrefix("text/xml") == true)
            let parsed = ServiceList()
            let parser = XMLParser(data: Data(String(buffer: xml.body).utf8))
            parser.delegate = parsed
            #expect(parser.parse(), "the XML service list does not parse")
            #expect(parsed.services.count == 60 && parsed.services.allSatisfy { Set($0.keys) == Self.serviceFields })
            #expect(parsed.services.map { $0["service_name"] ?? "" } == services.map { $0["service_name"]?.string ?? "" })

            let code = codes[5]
            let definition = try json(try await client.execute(uri: "/open311/v2/services/\(code).json", method: .get))
            #expect(definition["service_code"]?.string == code && definition["attributes"] == .array([]))
            let definitionXML = try await client.execute(uri: "/open311/v2/services/\(code).xml", method: .get)
            #expect(String(buffer: definitionXML.body).contains("<service_code>\(code)</service_code>"))

            // A category that asks: its attributes in the specification's shape, JSON and XML.
            let manhole = try json(try await client.execute(uri: "/open311/v2/services/0401.json", method: .get))
            let asked = try #require(manhole["attributes"]?.array)
            #expect(asked.map { $0["code"]?.string ?? "" } == ["state", "affects"])
            #expect(Set(asked[0].object?.keys ?? []) == ["variable", "code", "datatype", "required",
                                                         "datatype_description", "order", "description", "values"])
            #expect(asked[0]["variable"] == .bool(true) && asked[0]["required"] == .bool(true)
                    && asked[0]["datatype"] == "singlevaluelist" && asked[0]["order"]?.int == 1)
            #expect(asked[0]["values"]?.array?.first == ["key": "missing", "name": "缺失"])
            #expect(asked[1]["datatype"] == "multivaluelist" && asked[1]["required"] == .bool(false))
            let manholeXML = String(buffer: try await client.execute(uri: "/open311/v2/services/0401.xml",
                                                                     method: .get).body)
            #expect(manholeXML.contains("<attribute><variable>true</variable><code>state</code>"
                                        + "<datatype>singlevaluelist</datatype><required>true</required>"))
            #expect(manholeXML.contains("<values><value><key>missing</key><name>缺失</name></value>"))
            #expect(XMLParser(data: Data(manholeXML.utf8)).parse(), "the definition's XML parses")

            // Errors as the specification's error list, with the status.
            let wrong = try await client.execute(uri: "/open311/v2/services.json?jurisdiction_id=110101", method: .get)
            let errors = try json(wrong)
            #expect(wrong.status == .notFound && errors.array?.first?["code"] == JSONValue(404))
            let unknown = try await client.execute(uri: "/open311/v2/services/9999.xml", method: .get)
            #expect(unknown.status == .notFound && String(buffer: unknown.body).contains("<errors><error><code>404"))
        }
    }
}
