import Foundation
import GridMapGeometry

/// RFC 4180 CSV: fields separated by commas, quoted with double quotes when they hold a
/// comma, quote or newline.
public enum CSV {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Rows of fields, each with the 1-based line it starts on.
    public static func parse(_ text: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1, rowLine = 1
        var afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false; afterQuote = true; pending = n
                        }
                    } else {
                        inQuotes = false; afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case ",":
                fields.append(field); field = ""; afterQuote = false
            case "\n", "\r":
                if c == "\r" { if let n = next(), n != "\n" { pending = n } }
                fields.append(field); field = ""; afterQuote = false
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
                fields = []
                line += 1
                rowLine = line
            case "\"":
                guard field.isEmpty, !afterQuote else {
                    throw ParseError(line: line, message: "stray quote inside a field")
                }
                inQuotes = true
            default:
                guard !afterQuote else { throw ParseError(line: line, message: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw ParseError(line: rowLine, message: "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append((rowLine, fields))
        }
        return rows
    }

    /// A stream of bytes cut into pieces of whole records (line breaks inside quotes stay with
    /// their record), so that a large file is parsed a piece at a time.
    public struct Pieces {
        private var pending: [UInt8] = []
        private var scanned = 0, inQuotes = false, boundary: Int?
        /// The file's line the next piece starts on.
        private var line = 1

        public init() {}

        /// Appends `bytes`; the whole records so far and the line they start on, if any.
        public mutating func add(_ bytes: some Sequence<UInt8>) -> (bytes: [UInt8], firstLine: Int)? {
            pending.append(contentsOf: bytes)
            while scanned < pending.count {
                let b = pending[scanned]
                if b == UInt8(ascii: "\"") { inQuotes.toggle() } else if b == UInt8(ascii: "\n") && !inQuotes {
                    boundary = scanned
                }
                scanned += 1
            }
            guard let end = boundary else { return nil }
            let piece = Array(pending[...end])
            pending.removeFirst(end + 1)
            (scanned, boundary) = (pending.count, nil)
            return take(piece)
        }

        /// What is left after the last line break.
        public mutating func finish() -> (bytes: [UInt8], firstLine: Int)? {
            defer { pending = [] }
            return pending.isEmpty ? nil : take(pending)
        }

        private mutating func take(_ piece: [UInt8]) -> (bytes: [UInt8], firstLine: Int) {
            let first = line
            line += piece.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return (piece, first)
        }
    }

    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") }
}

