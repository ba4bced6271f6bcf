/// Recognises HTTP sent to the RESP port, as Redis does: a browser can be made to POST a form
/// to any port, and an inline-command server would answer each header line with an error and
/// then run the body's lines as commands (a form's body can be `ROLLBACK 3`). A request whose
/// command name is an HTTP method (none is a gridmap command) or `host:` ends the connection
/// before it or anything after it runs.
enum CrossProtocolGuard {
    private static let words: [[UInt8]] = ["get", "post", "put", "head", "options", "delete", "patch", "connect",
                                           "trace", "host:"].map { Array($0.utf8) }

    /// The offending word, or nil for a request that is not HTTP. On every request's path, so
    /// it compares bytes (case folded by bit 5, exact for letters and ':') and allocates nothing.
    static func httpWord(_ request: RESPRequest) -> String? {
        request.withBytes(0) { name -> String? in
            guard let name, (3...7).contains(name.count) else { return nil }
            search: for word in words where word.count == name.count {
                for i in 0..<name.count where word[i] != name[i] | 0x20 { continue search }
                return String(decoding: word, as: UTF8.self)
            }
            return nil
        }
    }
}
