#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridMapCore
import GridMapHTTP
import GridMapServer
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// The same request through RESP and HTTP gets the same bytes: both skins translate into the
/// engine's request types and write the engine's answer as it is.
@Suite struct CrossSkinTests {
    /// Sends one RESP command on a new connection and reads its bulk-string or error reply.
    static func resp(_ port: Int, _ args: [String]) throws -> String {
        var frame = "*\(args.count)\r\n"
        for a in args { frame += "$\(a.utf8.count)\r\n\(a)\r\n" }
        let fd = try TestClient.connectLoopback(port, seconds: 30)
        defer { close(fd) }
        let bytes = Array(frame.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += chunk[..<n]
            let text = String(decoding: reply, as: UTF8.self)
            // "\r\n" is one Character.
            if text.hasPrefix("-"), text.hasSuffix("\r\n") { return String(text.dropFirst().dropLast(1)) }
            if text.hasPrefix("$"), let nl = text.firstIndex(of: "\r\n"),
               let length = Int(text[text.index(after: text.startIndex)..<nl]),
               reply.count >= text.utf8.distance(from: text.startIndex, to: nl) + 2 + length + 2 {
                let start = text.utf8.distance(from: text.startIndex, to: nl) + 2
                return String(decoding: reply[start..<(start + length)], as: UTF8.self)
            }
        }
        return String(decoding: reply, as: UTF8.self)
    }

    @Test func respAndHTTPAnswerAlike() async throws {
        let path = NSTemporaryDirectory() + "/gridmap-skins-\(UUID().uuidString).gridmap"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        _ = try MapStore.create(path: path, from: snapshot.dataset, author: "t", message: "t")
        let service = try MapService(storePath: path)
        var config = ServerConfig()
        config.port = 0
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = GridMapServer(service: service, config: config, logger: Logger(label: "test"),
                                   onListening: { address in listening.yield(address.port ?? 0) })
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let respPort = try #require(await iterator.next())
        try await withServer(map: ServedMap(service)) { http in
            let a = snapshot.dataset.addresses[321].location
            // Coordinates as programs print them: every digit.
            let lon = String(a.x + 1e-9), lat = String(a.y - 1e-9)
            let cases: [([String], String)] = [
                (["LOCATE", lon, lat], "/api/locate?lon=\(lon)&lat=\(lat)"),
                (["VERSIONS", "LIMIT", "1"], "/api/versions?limit=1"),
                (["VERSIONS"], "/api/versions"),
                (["LOCATE", lon, "95"], "/api/locate?lon=\(lon)&lat=95"),
                (["VERSIONS", "LIMIT", "0"], "/api/versions?limit=0"),
            ]
            for (command, uri) in cases {
                let overRESP = try await withCheckedThrowingContinuation { done in
                    Thread { done.resume(with: Result { try Self.resp(respPort, command) }) }.start()
                }
                let overHTTP = try await http.execute(uri: uri, method: .get)
                let body = String(buffer: overHTTP.body)
                if overHTTP.status == .ok {
                    #expect(overRESP == body, "\(command): RESP \(overRESP.prefix(200)) / HTTP \(body.prefix(200))")
                } else {
                    // The same message, each skin in its own form.
                    let message = try json(overHTTP)["error"]?["message"]?.string ?? "?"
                    #expect(overHTTP.status == .badRequest && overRESP == "ERR " + message,
                            "\(command): RESP '\(overRESP)' / HTTP '\(message)'")
                }
            }
        }
        await group.triggerGracefulShutdown()
        _ = try await running.value
    }
}
