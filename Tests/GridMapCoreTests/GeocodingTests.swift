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

enum GeocodingFixture {
    static let library = try! Fixtures.snapshot.addressLibrary  // the bundled data: reading it cannot fail
}

@Suite struct AddressNormalizerTests {
    func n(_ s: String) -> String { AddressNormalizer.normalize(s).text }

    @Test func numeralsWidthsBuildingWordsAndPrefixes() {
        #expect(n("立岸大道十二号") == "立岸大道12号")
        #expect(n("立岸大道一百零五号") == "立岸大道105号")
        #expect(n("立岸大道二十号") == "立岸大道20号")
        #expect(n("立岸大道廿三号卅栋") == "立岸大道23号30栋")
        #expect(n("立岸大道１２号３幢２单元") == "立岸大道12号3栋2单元")
        #expect(n("立岸大道12号3号楼2单元") == "立岸大道12号3栋2单元")
        #expect(n("立岸大道12号A座") == "立岸大道12号A栋")
        #expect(n("立岸大道12号院") == "立岸大道12号")
        #expect(n("广西壮族自治区柳州市柳州市鱼峰区 立岸大道，12号。") == "立岸大道12号")
        #expect(n("五里亭街道三合村") == "五里亭街道三合村")  // numerals inside names stay
        // Twenty numerals before 号 once overflowed an Int and killed the process.
        let long = String(repeating: "九", count: 20)
        #expect(n("立岸大道\(long)号") == "立岸大道\(long)号")
        #expect(n("立岸大道１２号３-２-５０２") == "立岸大道12号3栋2单元502室")
        #expect(n("-3--2-") == "-3--2-" && n("") == "" && n("，。 ") == "")
        #expect(n("屏园路175-1号") == "屏园路175-1号")  // a door number, not building-unit
        #expect(n("屏园路175巷") == "屏园路175号" && n("屏园路3巷12号") == "屏园路3巷12号")
        let described = AddressNormalizer.normalize("我在洛岸街89号门口有2个井盖坏了")
        #expect(described.text == "洛岸街89号" && described.note == "门口有2个井盖坏了")
        let withNote = AddressNormalizer.normalize("立岸大道12号对面")
        #expect(withNote.text == "立岸大道12号" && withNote.note == "对面")
        #expect(AddressNormalizer.normalize("立岸大道12号门口旁边").note == "门口旁边")
    }

    @Test func parsesTheStandardLevels() {
        let lib = GeocodingFixture.library
        let a = Fixtures.dataset.addresses.first { !$0.compound.isEmpty }!
        let p = lib.parse(a.text)
        #expect(p.street == a.street && p.community == a.community)
        #expect(p.placeText == a.road && p.number == Int(a.number))
        #expect(p.compoundText == a.compound && p.building == Int(a.building) && p.unit == Int(a.unit))
    }
}

/// Noisy variants of library addresses, made independently of the generator that wrote the
/// library, with the answer known. A variant is answered correctly when the top candidate
/// is its address, or (when the variant dropped a level) an address that agrees with it on
/// every level the variant kept.
struct VariantMaker {
    var rng: TestRandom
    let chinese = Array("零一二三四五六七八九")
    let strangers = Array("东西南北金银龙凤桂柳荣箭鹿屏天白静航文和兴光朝幸团建育民红阳")

    mutating func chance(_ p: Double) -> Bool { rng.uniform(0, 1) < p }

    func numeral(_ n: Int) -> String {
        if n < 10 { return String(chinese[n]) }
        if n < 20 { return "十" + (n % 10 == 0 ? "" : String(chinese[n % 10])) }
        if n < 100 { return String(chinese[n / 10]) + "十" + (n % 10 == 0 ? "" : String(chinese[n % 10])) }
        if n < 1000 {
            let rest = n % 100
            return String(chinese[n / 100]) + "百"
                + (rest == 0 ? "" : rest < 10 ? "零" + String(chinese[rest]) : (rest < 20 ? "一" : "") + numeral(rest))
        }
        return String(n)
    }

    /// (variant text, kept levels: building kept, unit kept)
    mutating func make(_ a: Address) -> (String, Bool, Bool) {
        var road = a.road
        if chance(0.15) {
            var chars = Array(road)
            let k = Int(rng.uniform(0, Double(max(1, chars.count - 2))))
            chars[k] = strangers[Int(rng.uniform(0, Double(strangers.count)))]
            road = String(chars)
        }
        func num(_ s: String) -> String {
            guard let n = Int(s) else { return s }
            if chance(0.35) { return numeral(n) }
            if chance(0.2) {
                return String(String(n).unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
            }
            return String(n)
        }
        var text = ""
        switch Int(rng.uniform(0, 4)) {
        case 0: text = "柳州市鱼峰区" + a.street + a.community
        case 1: text = "广西壮族自治区柳州市柳州市鱼峰区" + a.street
        case 2: text = chance(0.5) ? a.community : ""
        default: text = "鱼峰区"
        }
        text += road + num(a.number) + (chance(0.1) ? "号院" : "号")
        var keptBuilding = true, keptUnit = true
        if !a.compound.isEmpty {
            if chance(0.6) { text += a.compound }
            if chance(0.1) {
                keptBuilding = false; keptUnit = false
            } else {
                text += num(a.building) + ["栋", "幢", "座", "号楼", "栋"][Int(rng.uniform(0, 5))]
                if chance(0.15) { keptUnit = false } else { text += num(a.unit) + "单元" }
            }
        }
        if chance(0.3) {
            var chars = Array(text)
            chars.insert([" ", "，", " ", "、"][Int(rng.uniform(0, 4))], at: Int(rng.uniform(1, Double(chars.count))))
            text = String(chars)
        }
        if chance(0.2) { text += ["旁边", "对面", "附近", "门口"][Int(rng.uniform(0, 4))] }
        return (text, keptBuilding, keptUnit)
    }
}

@Suite struct GeocodingAccuracyTests {
    @Test func noisyVariantsFindTheirAddress() throws {
        let data = Fixtures.dataset
        let geocoder = Geocoder(library: GeocodingFixture.library)
        var maker = VariantMaker(rng: TestRandom(seed: 5))
        let byID = Dictionary(uniqueKeysWithValues: data.addresses.map { ($0.id, $0) })
        var correct = 0, confidentWrong = 0, total = 0
        var failures: [String] = []
        for k in stride(from: 7, to: data.addresses.count, by: data.addresses.count / 2500) {
            let a = data.addresses[k]
            let (text, keptBuilding, keptUnit) = maker.make(a)
            total += 1
            guard case .addresses(let candidates) = try geocoder.geocode(text), let top = candidates.first else {
                if failures.count < 10 { failures.append("\(text) → no address") }
                continue
            }
            let t = byID[top.addressID]!
            let ok = top.addressID == a.id || (t.road == a.road && t.number == a.number
                && (!keptBuilding || t.building == a.building) && (!keptUnit || t.unit == a.unit))
            if ok { correct += 1 } else {
                if top.score >= 0.9 { confidentWrong += 1 }
                if failures.count < 10 { failures.append("\(text) → \(top.text) (\(top.score)), expected \(a.text)") }
            }
        }
        let accuracy = Double(correct) / Double(total)
        let confident = Double(confidentWrong) / Double(total)
        let accuracyPercent = String(format: "%.2f", accuracy * 100)
        let confidentPercent = String(format: "%.2f", confident * 100)
        print("geocoding accuracy: \(correct)/\(total) top-1 = \(accuracyPercent)%, "
              + "confident wrong (score ≥ 0.9) = \(confidentPercent)%")
        for f in failures { print("  miss: \(f)") }
        #expect(total >= 2000)
        #expect(accuracy >= 0.95)
        #expect(confident <= 0.005)
    }

    @Test func roadsAloneAndNonsense() throws {
        let geocoder = Geocoder(library: GeocodingFixture.library)
        let road = Fixtures.dataset.addresses[3000].road
        guard case .place(let place, let similarity) = try geocoder.geocode("鱼峰区" + road) else {
            Issue.record("road alone"); return
        }
        #expect(place.name == road && similarity == 1 && !place.grids.isEmpty)
        guard case .none(let reason) = try geocoder.geocode("火星基地99号") else { Issue.record("nonsense matched"); return }
        #expect(reason.contains("no road"))
        guard case .none = try geocoder.geocode("  ，。 ") else { Issue.record("empty matched"); return }
    }
}
