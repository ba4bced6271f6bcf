import GridMapGeometry
import GridMapModel
import GridMapStore

/// Turns a typed or spoken address into one canonical spelling, so that
/// "广西柳州市鱼峰区 立岸大道十二号 3幢2单元 旁边" and "立岸大道12号3栋2单元"
/// compare equal:
/// full-width → half-width; Chinese numerals before a unit word → Arabic (十二号 = 12号,
/// 一百零五 = 105, 廿/卅); 栋/幢/座/号楼 → 栋; 号院/弄 → 号; punctuation and spaces removed;
/// the province/city/district prefixes removed wherever they repeat; a trailing description
/// ("旁边", "对面", "附近", "门口", …, and whatever follows it) split off as a note; words before
/// it ("我在", "就在") dropped; building-unit-room written with dashes (6-1-502) spelled out.
public enum AddressNormalizer {
    public struct Normalized: Equatable, Sendable {
        public var text: String
        public var note: String
    }

    /// Prefixes that carry no information inside one district (longest first).
    public static let defaultPrefixes = [
        "广西壮族自治区", "广西自治区", "广西省", "广西", "柳州市", "柳州", "鱼峰区", "鱼峰",
    ]
    package static let trailing = [
        "旁边", "对面", "附近", "门口", "边上", "隔壁", "后面",
        "前面", "楼下", "路口", "周边", "一带", "里面", "旁",
    ]
    package static let trailingChars = trailing.map { Array($0) }
    package static let trailingFirst = Set(trailing.compactMap(\.first))
    /// The words after a number that make it an address level.
    package static let levelWordChars = ["号", "栋", "幢", "座", "单元", "室", "楼", "弄", "巷", "院", "-"]
        .map { Array($0) }
    package static let leadingFirst = Set(leading.compactMap(\.unicodeScalars.first))
    /// The characters that `replaceAfterDigits` may replace (号楼, 幢, 座, 栋楼, 号院, 弄, 巷).
    package static let replacedAfterDigits = Set("楼幢座院弄巷".unicodeScalars)
    package static let numeralUnitChars = numeralUnits.map { Array($0) }
    /// Words before an address in what people say or type ("我在…", "就在…").
    package static let leading = [
        "我现在在", "我家住在", "我家在", "我住在", "现在在", "我在", "就在", "住在", "位于",
        "地址是", "地址在",
        "位置是", "位置在", "这里是", "在",
    ]
    package static let numeralUnits: [String] = [
        "号楼", "号院", "号", "栋", "幢", "座", "单元", "室", "楼", "层", "弄", "户",
    ]

    public static func normalize(_ raw: String, prefixes: [String] = defaultPrefixes) -> Normalized {
        var s = cleaned(raw)
        // (Each check first looks at one scalar: a query runs these on every character.)
        if let first = s.unicodeScalars.first, leadingFirst.contains(first),
            let lead = leading.first(where: { s.hasPrefix($0) && s.count > $0.count + 1 })
        {
            s.removeFirst(lead.count)
        }
        // A description after the address ("门口", "对面的路灯坏了"): from the first trailing
        // word after the last numbered level, the rest is a note.
        var note = ""
        // (After the last numbered level: "…号门口有2个井盖坏了" is a description with a number.)
        let chars = Array(s)
        func levelFollows(_ i: Int) -> Bool {
            for k in i..<max(i, chars.count - 1)
            where (chars[k].isASCII && chars[k].isNumber) || numeralChars.contains(chars[k]) {
                if levelWordChars.contains(where: { chars[(k + 1)...].starts(with: $0) }) { return true }
            }
            return false
        }
        for i in 1..<max(1, chars.count)
        where trailingFirst.contains(chars[i]) && trailingChars.contains(where: { chars[i...].starts(with: $0) })
            && !levelFollows(i)
        {
            note = String(chars[i...])
            s = String(chars[..<i])
            break
        }
        s = arabicNumerals(s)
        if s.unicodeScalars.contains(where: { replacedAfterDigits.contains($0) }) {
            s = replaceAfterDigits(
                s,
                ["号楼": "栋", "幢": "栋", "座": "栋", "栋楼": "栋", "号院": "号", "弄": "号"])
        }
        s = laneAsDoorNumber(s)
        s = dashedLevels(s)
        // Longest first, starting over after each removal: "柳州市柳州市…" loses both.
        let longestFirst = prefixes.sorted { $0.count > $1.count }
        let firsts = Set(prefixes.compactMap(\.unicodeScalars.first))
        while let first = s.unicodeScalars.first, firsts.contains(first),
            let p = longestFirst.first(where: { s.hasPrefix($0) && s.count > $0.count })
        {
            s.removeFirst(p.count)
        }
        return Normalized(text: s, note: note)
    }

    /// Half-width, without separators, in one pass over the scalars (CJK ideographs, most of
    /// an address, skip every check).
    package static func cleaned(_ raw: String) -> String {
        var out = String.UnicodeScalarView()
        for u in raw.unicodeScalars {
            if u.value >= 0x4E00 && u.value <= 0x9FFF { out.append(u); continue }
            let v = (0xFF01...0xFF5E).contains(u.value) ? Unicode.Scalar(u.value - 0xFEE0)! : u
            if v.value == 0x3000 || isSeparator(v) { continue }
            out.append(v)
        }
        return String(out)
    }

    package static func isSeparator(_ u: Unicode.Scalar) -> Bool {
        if u.properties.isWhitespace { return true }
        switch u {
        case ",", ".", ";", ":", "!", "?", "(", ")", "[", "]", "{", "}", "\"", "'", "/", "\\", "|", "_", "~", "`", "*",
            "#", "@",
            "，", "。", "、", "；", "：", "！", "？", "（", "）", "【", "】", "《", "》",
            "“", "”", "‘", "’", "·", "…", "—", "－":
            return true
        default:
            return false
        }
    }

    package static let digitValue: [Character: Int] = [
        "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3,
        "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    ]
    package static let numeralChars: Set<Character> = Set("零〇一二两三四五六七八九十百千廿卅")

    /// Runs of Chinese numerals directly before a unit word become Arabic digits. Elsewhere
    /// numerals are left alone: they are part of names (五里亭, 三合村).
    package static func arabicNumerals(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            guard numeralChars.contains(chars[i]) else { out.append(chars[i]); i += 1; continue }
            var j = i
            while j < chars.count, numeralChars.contains(chars[j]) { j += 1 }
            if numeralUnitChars.contains(where: { chars[j...].starts(with: $0) }),
                let n = value(of: Array(chars[i..<j]))
            {
                out += String(n)
            } else {
                out += String(chars[i..<j])
            }
            i = j
        }
        return out
    }

    /// 十二 → 12, 一百零五 → 105, 二十 → 20, 廿三 → 23, 一二三 → 123 (digit by digit).
    package static func value(of run: [Character]) -> Int? {
        // No door, building or room number has more than nine digits; a longer run (typed or
        // hostile) would overflow.
        guard run.count <= 9 else { return nil }
        if !run.contains(where: { "十百千廿卅".contains($0) }) {
            let digits = run.compactMap { digitValue[$0] }
            guard digits.count == run.count else { return nil }
            return digits.reduce(0) { $0 * 10 + $1 }
        }
        var total = 0, current = 0
        for c in run {
            if let d = digitValue[c] { current = d; continue }
            switch c {
            case "十": total += (current == 0 ? 1 : current) * 10; current = 0
            case "百": total += (current == 0 ? 1 : current) * 100; current = 0
            case "千": total += (current == 0 ? 1 : current) * 1000; current = 0
            case "廿": total += 20; current = 0
            case "卅": total += 30; current = 0
            default: return nil
            }
        }
        return total + current
    }

    /// `175巷` is a door number written with 巷, unless a 号 follows (`3巷12号`: lane 3, door 12).
    package static func laneAsDoorNumber(_ s: String) -> String {
        guard s.unicodeScalars.contains("巷"), let r = s.range(of: "巷"), r.lowerBound > s.startIndex else {
            return s
        }
        let before = s[s.index(before: r.lowerBound)]
        guard before.isASCII, before.isNumber, !s[r.upperBound...].contains("号") else { return s }
        return s.replacingCharacters(in: r, with: "号")
    }

    /// Building, unit and room written with dashes: `6-1` → 6栋1单元, `6-1-502` → 6栋1单元502室,
    /// `6栋1-502` → 6栋1单元502室. The groups take the levels after the one written before them.
    package static func dashedLevels(_ s: String) -> String {
        guard s.contains("-") else { return s }
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else { out.append(chars[i]); i += 1; continue }
            var groups: [String] = []
            var j = i
            while j < chars.count, chars[j].isASCII, chars[j].isNumber {
                var k = j
                while k < chars.count, chars[k].isASCII, chars[k].isNumber { k += 1 }
                groups.append(String(chars[j..<k]))
                guard k + 1 < chars.count, chars[k] == "-", chars[k + 1].isASCII, chars[k + 1].isNumber else {
                    j = k
                    break
                }
                j = k + 1
            }
            let levels =
                out.hasSuffix("单元") ? ["室"] : out.hasSuffix("栋") ? ["单元", "室"] : ["栋", "单元", "室"]
            // `175-1号` is a door number: left as it is.
            let doorNumber = j < chars.count && chars[j] == "号"
            if groups.count >= 2, groups.count <= levels.count, !doorNumber {
                // Replace the trailing unit word before (栋/单元) only by what follows it.
                for (g, level) in zip(groups, levels) { out += g + level }
            } else {
                out += groups.joined(separator: "-")
            }
            i = j
        }
        return out
    }

    /// Replaces each key by its value where it directly follows a digit or letter.
    package static func replaceAfterDigits(_ s: String, _ map: [String: String]) -> String {
        var out = ""
        var rest = Substring(s)
        let keys = map.keys.sorted { $0.count > $1.count }
        while let c = rest.first {
            if let last = out.last, last.isASCII, last.isNumber || last.isLetter,
               let k = keys.first(where: { rest.hasPrefix($0) }) {
                out += map[k]!
                rest = rest.dropFirst(k.count)
            } else {
                out.append(c)
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
