import GridMapGeometry
import GridMapModel

/// The checks on what a person types into a case: plain text of bounded length, no markup,
/// no control characters. Refused, never cleaned: the reporter is told what to change.
enum CaseText {
    static func plain(_ text: String, _ name: String, max: Int, lines: Bool = false) throws -> String {
        guard text.count <= max else {
            throw CaseError(.badCase, "\(name) is \(text.count) characters; at most \(max)")
        }
        for s in text.unicodeScalars {
            if lines && (s == "\n" || s == "\r" || s == "\t") { continue }
            if [.control, .format, .lineSeparator, .paragraphSeparator].contains(s.properties.generalCategory) {
                throw CaseError(.textNotAllowed, "\(name) holds a control character (U+"
                                + String(s.value, radix: 16, uppercase: true) + "); send plain text")
            }
        }
        // A tag's opening: `<` then a letter, `/`, `!` or `?`. Text is shown as text everywhere,
        // but markup in a case is never what a reporter meant and would travel to other systems.
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() where s == "<" && i + 1 < scalars.count {
            let n = scalars[i + 1]
            if n.properties.isAlphabetic && n.isASCII || n == "/" || n == "!" || n == "?" {
                throw CaseError(.textNotAllowed, "\(name) holds markup ('<\(Character(n))…'); send plain text")
            }
        }
        return text
    }

    static func optional(_ text: String?, _ name: String, max: Int) throws -> String? {
        guard let t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
        return try plain(t, name, max: max)
    }

    static func media(_ urls: [String]) throws -> [String] {
        guard urls.count <= 10 else { throw CaseError(.badCase, "at most 10 media links, not \(urls.count)") }
        return try urls.map { u in
            let lower = u.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), u.count <= 500,
                  !u.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\"" || $0 == "<" || $0 == ">" })
            else {
                throw CaseError(.badCase, "a media link is an http(s) URL of at most 500 characters: "
                                + "'\(Parameter.shown(u))'")
            }
            return u
        }
    }
}
