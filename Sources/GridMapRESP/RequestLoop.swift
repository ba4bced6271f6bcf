import NIOCore

/// The one decode → run → reply loop, for a connection (`ConnectionHandler`) and for the path
/// the benchmark measures without a socket (`ServerPath`): whole requests decoded from `input`
/// into `request`, each run and answered, while `writable()` holds, at most `limit`.
///
/// It stops at a request whose work must run off the event loop (its reply must come before
/// the next), and returns that work. A broken frame is answered and closes this connection
/// only (the stream cannot be resynchronised after it). While `draining` (shutting down), a
/// request that would go off the loop is answered that the server is shutting down. HTTP sent
/// to this port (CommandTable found no command and the name was HTTP's) is answered nothing,
/// and nothing after it runs.
enum RequestLoop {
    struct Outcome {
        /// Requests run (empty ones not counted).
        var done = 0
        /// Frames read, empty ones included.
        var read = 0
        var pending: PendingWork?
    }

    /// `reply` appends a reply and answers whether the output was flushed (writability is read
    /// again only then: it changes only when replies are flushed).
    @inline(__always)
    static func run(_ input: inout ByteBuffer?, _ request: inout RESPRequest, session: Session, limit: Int,
                    draining: Bool, writable: () -> Bool, reply: (RESPValue) -> Bool) -> Outcome {
        let limits = session.config.limits
        var canWrite = writable()
        var out = Outcome()
        while canWrite, out.done < limit, !session.shouldClose, input != nil {
            do {
                guard try RESPRequestDecoder.parseFrame(&input!, limits: limits, into: &request) else { break }
            } catch {
                _ = reply(.error("ERR \(error)"))
                session.shouldClose = true
                input = nil
                break
            }
            out.read += 1
            if request.isEmpty { continue }
            let value = CommandTable.execute(request, session)
            if let word = session.crossProtocolWord {
                session.logger.warning("""
                    possible cross-protocol attack: the connection sent '\(word.uppercased())' (HTTP to the RESP port, \
                    likely a web page's form); closed without running it or anything after it
                    """, metadata: ["client": "\(session.client)"])
                session.shouldClose = true
                input = nil
                break
            }
            out.done += 1
            if case .pending(let work) = value {
                if !draining {
                    out.pending = work
                    return out
                }
                if reply(.error("ERR the server is shutting down")) { canWrite = writable() }
                continue
            }
            if reply(value) { canWrite = writable() }
        }
        return out
    }
}
