import GridMapCore
import NIOCore
import GridMapStores
import GridMapPlanning

/// Runs requests through a connection's decoder, command table and reply encoder, with no
/// socket and no event loop: what a connection costs per request apart from the kernel and
/// SwiftNIO's I/O, measurable without network noise (`gridmap bench`).
public struct ServerPath {
    private let session: Session

    public init(service: MapService, config: ServerConfig = ServerConfig()) {
        session = Session(service: service, config: config, stats: ServerStats())
    }

    /// Answers every whole request in `input` as a connection turn would; returns how many
    /// requests it answered and the bytes of the replies.
    public func answer(_ input: ByteBuffer, into output: inout ByteBuffer) throws -> Int {
        var input = input
        var request = RESPRequest()
        var answered = 0
        session.beginTurn()
        while try RESPRequestDecoder.parseFrame(&input, limits: session.config.limits, into: &request) {
            if request.isEmpty { continue }
            var reply = CommandTable.execute(request, session)
            // No thread pool here: work meant for it runs in line.
            if case .pending(let work) = reply { reply = work.run() }
            output.writeRESP(reply, protocol: session.protocolVersion)
            answered += 1
        }
        session.endTurn()
        return answered
    }
}
