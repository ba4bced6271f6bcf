import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// What a GEOCODE or LOCATEADDR asks, checked the same way by every skin (RESP, CLI, HTTP):
/// an address of at most 1,024 bytes, and 1 to 100 candidates, by default 5.
public struct GeocodeRequest: Sendable {
    public static let maxBytes = 1024
    public static let maxLimit = 100
    public static let defaultLimit = 5

    public let text: String
    public let limit: Int

    public init(_ text: String, limit: Int? = nil) throws {
        guard text.utf8.count <= GeocodeRequest.maxBytes else {
            throw RequestError("address longer than \(GeocodeRequest.maxBytes) bytes", code: .tooLong)
        }
        if let limit, !(1...GeocodeRequest.maxLimit).contains(limit) {
            throw RequestError("limit must be 1 to \(GeocodeRequest.maxLimit)", code: .outOfRange)
        }
        self.text = text
        self.limit = limit ?? GeocodeRequest.defaultLimit
    }
}

extension Snapshot {
    /// GEOCODE's answer (see `geocodeJSON(_:_:parsed:)`), with this snapshot's geocoder.
    public func geocodeJSON(_ request: GeocodeRequest) throws -> [UInt8] {
        try geocodeJSON(request, with: try self.geocoder)
    }

    /// The same with a geocoder already in hand (bulk work: one per batch, not per line, as
    /// getting it takes the library's lock).
    package func geocodeJSON(_ request: GeocodeRequest, with geocoder: Geocoder) throws -> [UInt8] {
        let parsed = geocoder.library.parse(request.text)
        return geocodeJSON(request.text, try geocoder.geocode(parsed: parsed, limit: request.limit), parsed: parsed)
    }

    /// LOCATEADDR's answer (see `locateAddressJSON(_:_:parsed:)`), from the best of
    /// `request.limit` candidates.
    public func locateAddressJSON(_ request: GeocodeRequest) throws -> [UInt8] {
        let geocoder = try self.geocoder
        let parsed = geocoder.library.parse(request.text)
        return locateAddressJSON(
            request.text, try geocoder.geocode(parsed: parsed, limit: request.limit), parsed: parsed)
    }
}

extension Snapshot {
    /// GEOCODE's answer for each line (empty lines answer nil), spread over every core in
    /// chunks. A line that cannot be geocoded answers `{"line": n, "error": …}`, n counted
    /// from `firstLine`.
    public func geocodeLines(_ lines: [String], limit: Int? = nil, firstLine: Int = 1) throws -> [[UInt8]?] {
        let geocoder = try self.geocoder  // the library built (or its error thrown) once
        let parts = Parallel.map(lines.count, parts: Parallel.parts(lines.count, grain: 2_000)) { _, range in
            lines[range].enumerated().map { k, line -> [UInt8]? in
                let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty else { return nil }
                do { return try self.geocodeJSON(GeocodeRequest(text, limit: limit), with: geocoder) } catch {
                    let line = JSONValue.object([
                        "line": JSONValue(firstLine + range.lowerBound + k), "error": .string("\(error)"),
                    ])
                    return Array(line.serialized.utf8)
                }
            }
        }
        return parts.flatMap { $0 }
    }
}
