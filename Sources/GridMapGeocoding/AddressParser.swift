import GridMapGeometry
import GridMapModel
import GridMapStore

/// A free-text address split into the standard address levels (标准地址): street/town,
/// community/village, road (街路巷) or compound (小区), door number (门牌号), building
/// (栋/幢/座/号楼, normalized to 栋), unit (单元), room (室).
public struct ParsedAddress: Equatable, Sendable {
    public var street: String?
    public var community: String?
    /// The text where the road or compound name stands (before the door number).
    public var placeText: String = ""
    public var number: Int?
    /// The text between the door number and the building: a compound name, if any.
    public var compoundText: String = ""
    public var building: Int?
    public var unit: Int?
    public var room: Int?
    /// Trailing description kept apart ("旁边", "对面", …).
    public var note: String = ""
    public var normalized: String = ""
}

extension AddressLibrary {
    /// Splits an address using the library's street and community names and the numbered
    /// levels' unit words.
    public func parse(_ raw: String) -> ParsedAddress {
        let n = AddressNormalizer.normalize(raw, prefixes: prefixes)
        var p = ParsedAddress(note: n.note, normalized: n.text)
        var s = n.text
        for _ in 0..<2 {  // street then community, in either order, each possibly repeated
            if let street = longestPrefix(of: s, in: streetSet, lengths: streetLengths) {
                p.street = street; s.removeFirst(street.count)
            }
            if let community = longestPrefix(of: s, in: communitySet, lengths: communityLengths) {
                p.community = community
                s.removeFirst(community.count)
            }
        }
        // Numbered levels: a digit run and the unit word after it.
        let chars = Array(s)
        var i = 0
        var text = ""
        var afterNumber = false
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else {
                text.append(chars[i])
                i += 1
                continue
            }
            var j = i
            while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
            let value = Int(String(chars[i..<j]))
            let rest = String(chars[j...])
            func take(_ word: String) -> Bool { if rest.hasPrefix(word) { j += word.count; return true }; return false }
            if take("号") && p.number == nil {
                p.number = value
                p.placeText = text
                text = ""
                afterNumber = true
            } else if take("栋") {
                p.building = value
                if p.compoundText.isEmpty { p.compoundText = text }
                // An estate named without a road: its name is the place.
                if !afterNumber && p.placeText.isEmpty { p.placeText = text }
                text = ""
            } else if take("单元") {
                p.unit = value
                text = ""
            } else if take("室") || (p.unit != nil && p.room == nil && j == chars.count) {
                p.room = value
                text = ""
            } else if p.number == nil, p.building == nil, !text.isEmpty, j == chars.count || !chars[j].isNumber {
                // A door number written without 号 ("屏园路175").
                p.number = value
                p.placeText = text
                text = ""
                afterNumber = true
            } else {
                text += String(chars[i..<j])
            }
            i = j
        }
        if p.number == nil {
            if p.placeText.isEmpty { p.placeText = text }
        } else if p.compoundText.isEmpty, p.building == nil {
            p.compoundText = text
        }
        return p
    }
}
