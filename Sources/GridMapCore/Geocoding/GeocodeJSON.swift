import Foundation

/// The JSON of `gridmap geocode` and the server's GEOCODE and LOCATEADDR (docs/PROTOCOL.md).
extension Snapshot {
    public func geocodeText(_ query: String, _ result: GeocodeResult, parsed: ParsedAddress) -> String {
        var out = "{\"query\":"
        JSONValue.writeString(query, to: &out)
        out += ",\"normalized\":"
        JSONValue.writeString(parsed.normalized, to: &out)
        if !parsed.note.isEmpty {
            out += ",\"note\":"
            JSONValue.writeString(parsed.note, to: &out)
        }
        switch result {
        case .addresses(let candidates):
            out += ",\"match\":\"address\",\"candidates\":["
            for (k, c) in candidates.enumerated() {
                if k > 0 { out += "," }
                out += candidateText(c)
            }
            out += "]"
        case .place(let place, let similarity):
            out += ",\"match\":\"\(place.isRoad ? "road" : "compound")\",\"place\":" + placeText(place, similarity) + ",\"candidates\":[]"
        case .none(let reason):
            out += ",\"match\":\"none\",\"reason\":"
            JSONValue.writeString(reason, to: &out)
            out += ",\"candidates\":[]"
        }
        out += ",\"data_version\":\"\(version)\"}"
        return out
    }

    /// A candidate; with `withGrid`, the grid, community, street and workers as LOCATE gives them.
    func candidateText(_ c: GeocodeCandidate, withGrid: Bool = true) -> String {
        var out = "{\"address_id\":"
        JSONValue.writeString(c.addressID, to: &out)
        out += ",\"address\":"
        JSONValue.writeString(c.text, to: &out)
        out += ",\"score\":\(JSONValue.format(c.score)),\"matched\":"
        JSONValue.object(JSONObject(c.matched.map { ($0.0, .string($0.1)) })).write(to: &out)
        out += ",\"point\":{\"lon\":\(JSONValue.format(c.point.x)),\"lat\":\(JSONValue.format(c.point.y))}"
        if withGrid {
            out += ","
            out += gridFragment(grid(id: c.gridID) ?? dataset.grids.count)
        }
        out += "}"
        return out
    }

    func placeText(_ p: AddressLibrary.Place, _ similarity: Double) -> String {
        let grids: [JSONValue] = p.grids.compactMap { id in
            grid(id: id).map { g in ["id": .string(id), "name": .string(dataset.grids[g].name)] }
        }
        return JSONValue.object([
            "name": .string(p.name), "kind": .string(p.isRoad ? "road" : "compound"), "similarity": JSONValue(similarity),
            "point": ["lon": JSONValue(p.point.x), "lat": JSONValue(p.point.y)], "street": .string(p.street),
            "grids": .array(grids),
        ]).serialized
    }

    /// LOCATEADDR: the best candidate's location, as LOCATE answers it, with the matched
    /// address; or, when the best is ambiguous (the runner-up scores within 0.02 in another
    /// grid, or the text names only a road or compound), `"ambiguous": true` and the geocode answer.
    public func locateAddressText(_ query: String, _ result: GeocodeResult, parsed: ParsedAddress) -> String {
        if case .addresses(let c) = result, let best = c.first,
           !(c.count > 1 && c[1].score >= best.score - 0.02 && c[1].gridID != best.gridID) {
            var out = locationText(grid: grid(id: best.gridID), point: best.point)
            out.removeLast()
            out += ",\"address\":" + candidateText(best, withGrid: false)
            out += "}"
            return out
        }
        var out = geocodeText(query, result, parsed: parsed)
        out.insert(contentsOf: "\"ambiguous\":\(result.isNone ? "false" : "true"),", at: out.index(after: out.startIndex))
        return out
    }
}

extension GeocodeResult {
    public var isNone: Bool { if case .none = self { return true }; return false }
}

