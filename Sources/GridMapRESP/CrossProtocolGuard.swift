/// Recognises HTTP sent to the RESP port, as Redis does: a browser can be made to POST a form
/// to any port, and an inline-command server would answer each header line with an error and
/// then run the body's lines as commands (a form's body can be `ROLLBACK 3`). A request whose
/// command name is an HTTP method (none is a gridmap command) or `host:` ends the connection
/// before it or anything after it runs. Asked only for names that are no command (`CommandTable`).
enum CrossProtocolGuard {
    /// The offending word, or nil for a request that is not HTTP. On every request's path, so
    /// the name (3 to 7 bytes) is folded to lower case (bit 5: exact for letters and ':') into
    /// one integer and compared with constants: no allocation, no reference counting.
    @inline(__always)
    static func httpWord(_ request: RESPRequest) -> String? {
        request.withBytes(0) { name -> String? in
            guard let name, (3...7).contains(name.count) else { return nil }
            var key: UInt64 = 0
            for i in 0..<name.count { key |= UInt64(name[i] | 0x20) << (8 * UInt64(i)) }
            switch key {
            case 0x746567: return "get"  // the word's bytes, little-endian
            case 0x7473_6f70: return "post"
            case 0x747570: return "put"
            case 0x6461_6568: return "head"
            case 0x73_6e6f_6974_706f: return "options"
            case 0x6574_656c_6564: return "delete"
            case 0x68_6374_6170: return "patch"
            case 0x74_6365_6e6e_6f63: return "connect"
            case 0x65_6361_7274: return "trace"
            case 0x3a_7473_6f68: return "host:"
            default: return nil
            }
        }
    }
}
