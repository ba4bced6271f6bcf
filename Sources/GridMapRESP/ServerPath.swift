import GridMapCore
import NIOCore
import GridMapPlanning

/// Runs requests through a connection's decoder, command table and reply encoder, with no
/// socket and no event loop: what a connection costs per request apart from the kernel and
/// SwiftNIO's I/O, measurable without network noise (`gridmap-bench`).
public struct ServerPath {
    private let session: Session

    public init(service: MapService, config: ServerConfig = ServerConfig()) {
        session = Session(service: service, config: config, stats: ServerStats())
    }

    /// Answers every whole request in `input` as a connection turn would, through the server's
    /// own loop (`RequestLoop`); returns how many requests it answered and the bytes of the replies.
    public func answer(_ input: ByteBuffer, into output: inout ByteBuffer) throws -> Int {
        var input: ByteBuffer? = input
        var request = RESPRequest()
        var answered = 0
        let session = self.session
        // One session throughout (its protocol, user and name carry over, as on one connection),
        // but a close asked for by an earlier call (QUIT, a broken frame, an HTTP line) does not
        // stop this one from being answered.
        session.shouldClose = false
        session.crossProtocolWord = nil
        session.beginTurn()
        while true {
            let outcome = RequestLoop.run(&input, &request, session: session, limit: .max, draining: false,
                                          writable: { true }) { value in
                output.writeRESP(value, protocol: session.protocolVersion)
                return false
            }
            answered += outcome.done
            // No thread pool here: work meant for it runs in line.
            guard let work = outcome.pending else { break }
            output.writeRESP(work.run(), protocol: session.protocolVersion)
        }
        session.endTurn()
        return answered
    }
}
