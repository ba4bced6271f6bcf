import Foundation
import Testing

@testable import GridMapCore
@testable import GridMapGeometry
@testable import GridMapModel
@testable import GridMapStore
@testable import GridMapSQLite
@testable import GridMapPostgres
@testable import GridMapStores
@testable import GridMapPlanning

/// Addresses as people type them, one generator per form (issue #13), over the whole library:
/// an answer is right when its first candidate lies within 5 m of the address meant, and
/// confidently wrong when it scores 0.9 or more and is not.
struct FormMaker {
    var rng: TestRandom
    let strangers = Array("东西南北金银龙凤桂柳荣箭鹿屏天白静航文和兴光朝幸团建育民红阳")
    let digits = Array("〇一二三四五六七八九")

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.uniform(0, Double(items.count)))] }
    mutating func chance(_ p: Double) -> Bool { rng.uniform(0, 1) < p }

    /// One wrong, missing or extra character.
    mutating func typo(_ name: String) -> String {
        var c = Array(name)
        let k = Int(rng.uniform(0, Double(c.count - 1)))  // not the last (路, 街, 村: the kind of place)
        switch Int(rng.uniform(0, 3)) {
        case 0: c[k] = pick(strangers.filter { $0 != c[k] })
        case 1: c.remove(at: k)
        default: c.insert(pick(strangers), at: k + 1)
        }
        return String(c)
    }

    /// A number as people write it: digits, full-width, Chinese (一百零五, or digit by digit 一〇五).
    mutating func number(_ s: String) -> String {
        guard let n = Int(s) else { return s }
        switch Int(rng.uniform(0, 4)) {
        case 0: return String(String(n).unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
        case 1: return GridCodes.chinese(min(n, 999))
        case 2 where n >= 100: return String(String(n).map { digits[Int(String($0))!] })
        default: return s
        }
    }

    func levels(_ a: Address) -> String {
        a.compound.isEmpty ? "" : "\(a.compound)\(a.building)栋\(a.unit)单元"
    }

    mutating func make(_ form: String, _ a: Address) -> String? {
        let full = "\(a.road)\(a.number)号" + levels(a)
        switch form {
        case "estate":  // 北塘二新村9栋1单元, no road
            guard !a.compound.isEmpty else { return nil }
            let room = chance(0.4) ? "\(Int(rng.uniform(1, 7)))0\(Int(rng.uniform(1, 4)))室" : ""
            return (chance(0.3) ? a.community : "") + levels(a) + room
        case "door_number":  // 屏园路175, 175号院, 175弄, 175巷
            return a.road + a.number + pick(["", "", "号院", "弄", "巷"]) + levels(a)
        case "dashes":  // 6-1, 6-1-502, 6栋1-502, 6号楼1单元502室
            guard !a.compound.isEmpty else { return nil }
            let room = "\(Int(rng.uniform(1, 7)))0\(Int(rng.uniform(1, 4)))"
            let tail = pick([
                "\(a.building)-\(a.unit)", "\(a.building)-\(a.unit)-\(room)", "\(a.building)栋\(a.unit)-\(room)",
                "\(a.building)号楼\(a.unit)单元\(room)室",
            ])
            return "\(a.road)\(a.number)号\(a.compound)" + tail
        case "typo":  // one wrong, missing or extra character in a name
            switch Int(rng.uniform(0, a.compound.isEmpty ? 2 : 3)) {
            case 0: return typo(a.road) + "\(a.number)号" + levels(a)
            case 1: return a.street + typo(a.community) + full
            default:
                return "\(a.road)\(a.number)号\(typo(a.compound))\(a.building)栋\(a.unit)单元"
            }
        case "wrong_community":  // another community or street beside the right road and number
            return nil  // made by the test, which knows the other names
        case "chatter":  // words around, spaces, full-width, numerals
            let lead = pick(["我在", "就在", "我家在", "", "位于"])
            let tail = pick(["门口", "楼下", "对面的路灯坏了", "旁边有人摔倒了", "这里漏水", ""])
            var text = lead + a.road + number(a.number) + "号"
            if !a.compound.isEmpty { text += a.compound + number(a.building) + "栋" + number(a.unit) + "单元" }
            var c = Array(text + tail)
            for _ in 0..<Int(rng.uniform(0, 3)) {
                c.insert(pick([" ", "，", "　", "、"]), at: Int(rng.uniform(1, Double(c.count))))
            }
            return String(c)
        default: return nil
        }
    }
}

@Suite struct GeocodingFormTests {
    struct Tally {
        var right = 0, confidentWrong = 0, total = 0
        var misses: [String] = []
    }

    /// Whether the answer's first candidate (or place) lies within 5 m of `want`; its score.
    static func judge(_ result: GeocodeResult, _ want: Coordinate) -> (right: Bool, score: Double) {
        switch result {
        case .addresses(let c):
            guard let top = c.first else { return (false, 0) }
            return (Metric.distance(top.point, want) <= 5, top.score)
        case .place(let p, let similarity): return (Metric.distance(p.point, want) <= 5, similarity)
        case .none: return (false, 0)
        }
    }

    @Test func everyFormOverTheWholeLibrary() throws {
        let data = Fixtures.dataset
        let library = GeocodingFixture.library
        let geocoder = Geocoder(library: library)
        var maker = FormMaker(rng: TestRandom(seed: 13))
        var tallies: [String: Tally] = [:]
        let communities = data.communities.map(\.name)
        let streets = data.streets.map(\.name)
        func record(_ form: String, _ text: String, _ want: Coordinate, expectNone: Bool = false) throws {
            let result = try geocoder.geocode(text)
            var (right, score) = GeocodingFormTests.judge(result, want)
            if expectNone {
                right = score < 0.9
                score = right ? 0 : score
            }
            tallies[form, default: Tally()].total += 1
            if right {
                tallies[form]!.right += 1
            } else {
                if score >= 0.9 { tallies[form]!.confidentWrong += 1 }
                if tallies[form]!.misses.count < 4 { tallies[form]!.misses.append("\(text) → \(result.summary)") }
            }
        }
        for k in stride(from: 3, to: data.addresses.count, by: 23) {
            let a = data.addresses[k]
            for form in ["estate", "door_number", "dashes", "typo", "chatter"] {
                if let text = maker.make(form, a) { try record(form, text, a.location) }
            }
            let other = maker.pick(communities.filter { $0 != a.community })
            let otherStreet = maker.pick(streets.filter { $0 != a.street })
            let text = (maker.chance(0.5) ? otherStreet : "") + other + a.road + a.number + "号" + maker.levels(a)
            try record("wrong_community", text, a.location)
        }
        let landmarks = data.resources.filter { AddressLibrary.landmarkKinds.contains($0.kind) }
        let counts = Dictionary(grouping: landmarks, by: \.name).mapValues(\.count)
        for r in landmarks where counts[r.name] == 1 {
            try record("landmark", r.name + maker.pick(["", "门口", "旁边", "对面", "附近"]), r.location)
        }
        // Nothing usable: what people say without an address, shared venue names, and strings of
        // characters that name nothing in the library.
        var nothing = [
            "火星基地99号", "我家门口的路灯坏了", "不知道在哪里", "快来人啊",
            "12345", "东南西北中",
            "abc def", "那个超市旁边", "有人打架", "学校", "楼下有人吵架", "路灯不亮了",
        ]
        let shared = counts.filter { $0.value > 1 }.keys.sorted().prefix(40)
        nothing += shared.map { $0 + "门口" }
        var pool = Array("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那")
        pool += Array("和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好")
        pool += Array("看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现")
        pool += Array("前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知")
        for _ in 0..<150 {
            let n = Int(maker.rng.uniform(2, 7))
            nothing.append(String((0..<n).map { _ in maker.pick(pool) }))
        }
        for text in nothing { try record("nothing", text, Coordinate(0, 0), expectNone: true) }
        var right = 0
        var total = 0
        var confident = 0
        print("form             right/total   top-1   confidently wrong")
        for form in tallies.keys.sorted() {
            let t = tallies[form]!
            right += t.right
            total += t.total
            confident += t.confidentWrong
            let name = form.padding(toLength: 16, withPad: " ", startingAt: 0)
            print(
                name
                    + String(
                        format: " %5d/%-5d   %5.1f%%   %d", t.right, t.total,
                        100 * Double(t.right) / Double(t.total), t.confidentWrong))
            for m in t.misses { print("    miss: \(m)") }
        }
        print(
            String(
                format: "all              %5d/%-5d   %5.1f%%   %d (%.2f%%)", right, total,
                100 * Double(right) / Double(total), confident, 100 * Double(confident) / Double(total)))
        #expect(Double(right) / Double(total) >= 0.97)
        for (form, t) in tallies { #expect(Double(t.right) / Double(t.total) >= 0.9, "\(form)") }
        #expect(Double(confident) / Double(total) <= 0.005)
    }
}

extension GeocodeResult {
    var summary: String {
        switch self {
        case .addresses(let c): return c.first.map { "\($0.text) (\($0.score))" } ?? "no candidate"
        case .place(let p, let s): return "\(p.kind) \(p.name) (\(s))"
        case .none(let reason): return "none: \(reason)"
        }
    }
}

@Suite struct ReverseGeocodingTests {
    @Test func nearestAddressesAgreeWithBruteForce() throws {
        let library = GeocodingFixture.library
        let addresses = try Fixtures.snapshot.addresses()
        var rng = TestRandom(seed: 21)
        let box = Fixtures.dataset.outline.bounds!
        var withAnswers = 0
        for k in 0..<400 {
            // Half near an address (0–80 m off), half anywhere.
            let p: Coordinate
            if k % 2 == 0 {
                let a = addresses[Int(rng.uniform(0, Double(addresses.count)))].location
                p = Coordinate(a.x + rng.uniform(-0.0008, 0.0008), a.y + rng.uniform(-0.0008, 0.0008))
            } else {
                p = Coordinate(rng.uniform(box.minX, box.maxX), rng.uniform(box.minY, box.maxY))
            }
            let request = try ReverseGeocodeRequest(radius: [50, 100, 20][k % 3], limit: 5)
            let got = library.nearest(p, request)
            var want: [(id: String, metres: Double)] = []
            for a in addresses {
                let d = Metric.distance(p, a.location)
                if d <= request.radius { want.append((a.id, d)) }
            }
            want.sort { $0.metres != $1.metres ? $0.metres < $1.metres : $0.id < $1.id }
            let expected: [Double] = want.prefix(5).map { $0.metres }
            let found: [Double] = got.map { $0.metres }
            #expect(found == expected, "\(p)")
            #expect(got.allSatisfy { !$0.address.gridID.isEmpty })
            if !got.isEmpty { withAnswers += 1 }
        }
        #expect(withAnswers > 100)
        // At a pole a metre is all longitudes: still no scan of the world.
        #expect(library.nearest(Coordinate(0, 90), try ReverseGeocodeRequest(radius: 1000)).isEmpty)
        // The end of a longer text is matched one edit away only when it keeps three characters.
        guard case .none = try Geocoder(library: library).geocode("解放北路12号") else {
            Issue.record("解放北路 taken for a road of the library"); return
        }
        #expect(throws: RequestError.self) { try ReverseGeocodeRequest(radius: 0) }
        #expect(throws: RequestError.self) { try ReverseGeocodeRequest(limit: 101) }
    }
}
