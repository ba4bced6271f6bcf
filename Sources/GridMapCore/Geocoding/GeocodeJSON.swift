import GridMapGeometry
import GridMapModel
import GridMapStore

/// The JSON of `gridmap geocode` and the server's GEOCODE and LOCATEADDR (docs/PROTOCOL.md),
/// written as UTF-8 bytes the way every answer is (see JSONWriter.swift).
extension Snapshot {
    /// GEOCODE's answer.
    public func geocodeJSON(_ query: String, _ result: GeocodeResult, parsed: ParsedAddress) -> [UInt8] {
        var out: [UInt8] = []
        writeGeocode(query, result, parsed: parsed, ambiguous: nil, to: &out)
        return out
    }

    /// LOCATEADDR's answer: the best candidate's location, as LOCATE answers it, with the
    /// matched address; or, when the best is ambiguous (the runner-up scores within 0.02 in
    /// another grid, or the text names only a road or compound), `"ambiguous": true` and the
    /// geocode answer (`false` when nothing matched).
    public func locateAddressJSON(_ query: String, _ result: GeocodeResult, parsed: ParsedAddress) -> [UInt8] {
        var out: [UInt8] = []
        if case .addresses(let c) = result, let best = c.first,
           !(c.count > 1 && c[1].score >= best.score - 0.02 && c[1].gridID != best.gridID) {
            writeLocation(grid: grid(id: best.gridID), point: best.point, to: &out) { out in
                out.appendText(#","address":"#)
                self.appendCandidate(best, withGrid: false, to: &out)
            }
        } else {
            writeGeocode(query, result, parsed: parsed, ambiguous: !result.isNone, to: &out)
        }
        return out
    }

    private func writeGeocode(_ query: String, _ result: GeocodeResult, parsed: ParsedAddress, ambiguous: Bool?,
                              to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if let ambiguous { ambiguous ? out.appendText(#""ambiguous":true,"#) : out.appendText(#""ambiguous":false,"#) }
        out.appendText(#""query":"#)
        JSONValue.appendString(query, to: &out)
        out.appendText(#","normalized":"#)
        JSONValue.appendString(parsed.normalized, to: &out)
        if !parsed.note.isEmpty {
            out.appendText(#","note":"#)
            JSONValue.appendString(parsed.note, to: &out)
        }
        switch result {
        case .addresses(let candidates):
            out.appendText(#","match":"address","candidates":["#)
            for (k, c) in candidates.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                appendCandidate(c, withGrid: true, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .place(let place, let similarity):
            out.appendText(#","match":"#)
            JSONValue.appendString(place.kind, to: &out)
            out.appendText(#","place":"#)
            placeJSON(place, similarity).append(to: &out)
            out.appendText(#","candidates":[]"#)
        case .none(let reason):
            out.appendText(#","match":"none","reason":"#)
            JSONValue.appendString(reason, to: &out)
            out.appendText(#","candidates":[]"#)
        }
        out.append(contentsOf: replyEnding)
    }

    /// A candidate; with `withGrid`, the grid, community, street and workers as LOCATE gives them.
    private func appendCandidate(_ c: GeocodeCandidate, withGrid: Bool, to out: inout [UInt8]) {
        let head: JSONObject = [
            "address_id": .string(c.addressID), "address": .string(c.text), "score": JSONValue(c.score),
            "matched": .object(JSONObject(c.matched.map { ($0.0, .string($0.1)) })),
            "point": ["lon": JSONValue(c.point.x), "lat": JSONValue(c.point.y)],
        ]
        out.append(UInt8(ascii: "{"))
        JSONValue.appendMembers(head, to: &out)
        if withGrid {
            out.append(UInt8(ascii: ","))
            appendGridFragment(grid(id: c.gridID) ?? dataset.grids.count, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private func placeJSON(_ p: AddressLibrary.Place, _ similarity: Double) -> JSONValue {
        let grids: [JSONValue] = p.grids.compactMap { id in
            grid(id: id).map { g in ["id": .string(id), "name": .string(dataset.grids[g].name)] }
        }
        return [
            "name": .string(p.name), "kind": .string(p.kind),
            "similarity": JSONValue(similarity),
            "point": ["lon": JSONValue(p.point.x), "lat": JSONValue(p.point.y)], "street": .string(p.street),
            "grids": .array(grids),
        ]
    }
}

extension GeocodeResult {
    public var isNone: Bool { if case .none = self { return true }; return false }
}
