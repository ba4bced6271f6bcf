/// Text that people read on pages, in exports and in histories (names, contacts, phones,
/// messages): it may not hold characters that are invisible or that change what is around
/// them. Control characters (NUL among them: C strings and PostgreSQL's text end there, so
/// "a\0b" would be answered as one text and stored as another) break the impact picture's
/// XML and log lines; format characters (bidi overrides, zero-width marks) make a name read as
/// another. Refused, never stripped, so what is stored is what was sent.
public enum DisplayText {
    /// The first character of `text` it may not hold, or nil. `lines`: a message may span
    /// lines (line feeds and tabs allowed).
    public static func hidden(in text: String, lines: Bool = false) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
            if lines && (scalar == "\n" || scalar == "\t") { return false }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }

    /// "U+0001" for a message that names the character.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// Why `text` cannot be `what` ("a grid name holds U+0001, …"), or nil when it can.
    public static func problem(_ text: String, _ what: String, lines: Bool = false) -> String? {
        guard let bad = hidden(in: text, lines: lines) else { return nil }
        return "\(what) holds \(describe(bad)), a control or format character: names and messages are "
            + "plain text\(lines ? "" : " on one line")"
    }
}
