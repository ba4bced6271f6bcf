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
            throw LookupError("address longer than \(GeocodeRequest.maxBytes) bytes")
        }
        if let limit, !(1...GeocodeRequest.maxLimit).contains(limit) {
            throw LookupError("limit must be 1 to \(GeocodeRequest.maxLimit)")
        }
        self.text = text
        self.limit = limit ?? GeocodeRequest.defaultLimit
    }
}

extension Snapshot {
    /// GEOCODE's answer (see `geocodeJSON(_:_:parsed:)`), with this snapshot's geocoder.
    public func geocodeJSON(_ request: GeocodeRequest) throws -> [UInt8] {
        let geocoder = try self.geocoder
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
