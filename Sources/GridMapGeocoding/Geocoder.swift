import GridMapGeometry
import GridMapModel
import GridMapStore

/// One candidate for a typed address.
public struct GeocodeCandidate: Sendable {
    public let addressID: String
    public let text: String
    public let point: Coordinate
    public let gridID: String
    public let score: Double
    /// How each level matched: "exact", "fuzzy", "near", "missing", "different".
    public let matched: [(String, String)]
}

/// What a query resolved to: addresses, or a road/compound as a whole, or nothing.
public enum GeocodeResult: Sendable {
    case addresses([GeocodeCandidate])
    case place(AddressLibrary.Place, similarity: Double)
    case none(reason: String)
}

/// Geocodes against the library. Holds nothing but the library, so one serves every thread.
public struct Geocoder: Sendable {
    public let library: AddressLibrary

    public init(library: AddressLibrary) { self.library = library }

    package struct Row {
        let id, text, street, community, road: String
        let number: Int?
        let compound: String
        let building, unit: Int?
        let point: Coordinate
        let grid: String
    }

    private func rows(_ indices: [Int32]) -> [Row] {
        indices.map { k in
            let a = library.addresses[Int(k)]
            func int(_ v: Int32) -> Int? { v == AddressLibrary.none ? nil : Int(v) }
            return Row(
                id: a.id, text: a.text, street: a.street, community: a.community, road: a.road,
                number: int(library.numbers[Int(k)]), compound: a.compound, building: int(library.buildings[Int(k)]),
                unit: int(library.units[Int(k)]), point: a.location, grid: a.gridID)
        }
    }

    /// Ranked candidates (best first, at most `limit`), a whole road or compound when the text
    /// names nothing finer, or `.none` with the reason.
    public func geocode(_ text: String, limit: Int = 5) throws -> GeocodeResult {
        try geocode(parsed: library.parse(text), limit: limit)
    }

    /// `geocode(_:limit:)` of a text already parsed (`library.parse`), for callers that also
    /// answer with the parse.
    public func geocode(parsed q: ParsedAddress, limit: Int = 5) throws -> GeocodeResult {
        guard !q.normalized.isEmpty else { return .none(reason: "the address is empty") }
        if q.number == nil, q.building == nil,
            let shared = [q.normalized, q.placeText].compactMap({ t in library.sharedNames[t].map { (t, $0) } }).first
        {
            return .none(reason: "\(shared.1) places are named '\(shared.0)': add the road and door number")
        }
        let roads = q.placeText.isEmpty ? [] : library.matchPlaces(q.placeText, roadsOnly: true, limit: 5)
        var candidates: [Row] = []
        var roadSimilarity: [String: Double] = [:]
        if let number = q.number {
            for r in roads {
                let name = library.places[r.place].name
                roadSimilarity[name] = r.similarity
                var found = rows(library.onRoad(name, number: number))
                if found.isEmpty { found = rows(library.nearOnRoad(name, number: number)) }
                candidates += found
            }
        }
        if candidates.isEmpty {
            // A compound named without a road, or a road or compound alone.
            let placeText = q.compoundText.isEmpty ? q.placeText : q.compoundText
            var compounds = placeText.isEmpty ? [] : library.matchPlaces(placeText, roadsOnly: false)
            if q.number == nil, q.building == nil, q.normalized != placeText {
                // A named place is matched on the whole text too: its name may begin with a
                // community's or village's (团环村便民服务站), which parsing took off.
                let whole = library.matchPlaces(q.normalized, roadsOnly: false)
                if let w = whole.first, w.similarity > (compounds.first?.similarity ?? 0) { compounds = whole }
            }
            if let best = compounds.first, q.building != nil {
                candidates = rows(library.inCompound(library.places[best.place].name))
            } else if let best = (roads + compounds).max(by: { $0.similarity < $1.similarity }) {
                return .place(library.places[best.place], similarity: best.similarity)
            }
        }
        guard !candidates.isEmpty else {
            return .none(
                reason:
                    "no road or compound of the library matches '\(q.placeText.isEmpty ? q.normalized : q.placeText)'")
        }
        let compoundMatch = q.compoundText.isEmpty ? [] : library.matchPlaces(q.compoundText, roadsOnly: false)
        let scored = candidates.map {
            score($0, q, roadSimilarity[$0.road], compoundMatch.first.map { library.places[$0.place].name })
        }
        let ranked = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.addressID < $1.addressID }
        var seen = Set<String>()
        return .addresses(Array(ranked.filter { seen.insert($0.addressID).inserted }.prefix(limit)))
    }

    /// Road 0.5, door number 0.3, building 0.1, unit 0.05, street/community agreement 0.05.
    /// A level the query leaves out earns half its weight when the address has it (the
    /// query is then less precise than the address), all of it when neither has it.
    private func score(_ r: Row, _ q: ParsedAddress, _ roadSimilarity: Double?, _ compound: String?) -> GeocodeCandidate
    {
        var s = 0.0
        var matched: [(String, String)] = []
        if let sim = roadSimilarity {
            s += 0.5 * sim
            matched.append(("road", sim == 1 ? "exact" : "fuzzy"))
        } else if let compound, compound == r.compound {
            s += 0.45
            matched.append(("compound", "exact"))
        }
        if let n = q.number, let rn = r.number {
            if n == rn { s += 0.3; matched.append(("number", "exact")) }
            else { s += 0.15 * max(0, 1 - Double(abs(n - rn)) / 10); matched.append(("number", "near")) }
        } else if q.number == nil {
            s += 0.15
            matched.append(("number", "missing"))
        }
        func level(_ name: String, _ want: Int?, _ have: Int?, _ weight: Double) {
            switch (want, have) {
            case (nil, nil): s += weight
            case (nil, _): s += weight / 2; matched.append((name, "missing"))
            case (let w?, let h?) where w == h: s += weight; matched.append((name, "exact"))
            default: matched.append((name, "different"))
            }
        }
        level("building", q.building, r.building, 0.1)
        level("unit", q.unit, r.unit, 0.05)
        // A compound the query names breaks ties between fuzzily matched roads.
        if roadSimilarity != nil, let compound, !compound.isEmpty {
            if compound == r.compound { s += 0.03; matched.append(("compound", "exact")) } else { s -= 0.03 }
        }
        var agree = 0.05
        if let street = q.street, street != r.street { agree = -0.1; matched.append(("street", "different")) }
        if let community = q.community, community != r.community {
            agree = -0.1; matched.append(("community", "different"))
        }
        s += agree
        return GeocodeCandidate(addressID: r.id, text: r.text, point: r.point, gridID: r.grid,
                                score: (max(0, min(1, s)) * 1000).rounded() / 1000, matched: matched)
    }
}
