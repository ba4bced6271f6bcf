import GridMapGeometry
import GridMapModel
import GridMapStore
import GridMapCore

/// Grid codes and names by the sequence rule of grid management: a grid's code is its
/// community's 12-digit code followed by a 3-digit sequence number (450203001001 + 007), and
/// its name the community's name and the number in Chinese (南岸社区第七网格). A new grid
/// takes the next number after the highest ever used in its community: a retired code is
/// never reused, so an old code in a report, an export or an as-of answer names one grid.
public struct GridCodes: Sendable {
    /// Every grid code the store has ever held (current and retired).
    public let everUsed: Set<String>
    public init(everUsed: Set<String>) { self.everUsed = everUsed }

    public static let sequenceDigits = 3

    /// `count` new codes in `community`, after every code used there (ever, or in `map`).
    func next(in community: String, count: Int, map: PlanMap) throws -> [String] {
        var highest = 0
        for code in everUsed.union(map.grids.keys) where code.hasPrefix(community) {
            let tail = code.dropFirst(community.count)
            if tail.count == GridCodes.sequenceDigits, let n = Int(tail) { highest = max(highest, n) }
        }
        let limit = 999
        guard highest + count <= limit else {
            throw PlanError(.codesExhausted, "community \(community) has used all \(limit) grid numbers")
        }
        return (1...count).map { community + String(format3(highest + $0)) }
    }

    private func format3(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, GridCodes.sequenceDigits - s.count)) + s
    }

    /// The name of grid `code` in `community`: 南岸社区第七网格.
    static func name(of code: String, community: Community) -> String {
        let n = Int(code.suffix(sequenceDigits)) ?? 0
        return "\(community.name)第\(chinese(n))网格"
    }

    /// 1…999 in Chinese numerals as grid names write them (七, 十二, 二十, 一百零五).
    static func chinese(_ n: Int) -> String {
        let digits = Array("零一二三四五六七八九")
        if n < 10 { return String(digits[n]) }
        if n < 20 { return "十" + (n % 10 == 0 ? "" : String(digits[n % 10])) }
        if n < 100 { return String(digits[n / 10]) + "十" + (n % 10 == 0 ? "" : String(digits[n % 10])) }
        let rest = n % 100
        let tail =
            rest == 0 ? "" : rest < 10 ? "零" + String(digits[rest])
            : rest < 20 ? "一" + chinese(rest) : chinese(rest)
        return String(digits[n / 100]) + "百" + tail
    }
}
