#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridMapCore
import GridMapRESP
import Logging
import ServiceLifecycle
import GridMapSQLite
import GridMapPostgres
import GridMapStores
import GridMapPlanning

/// One RESP command on a new connection (a blocking socket, on a thread of its own): its bulk
/// string's text, or an error reply's text without the `-`.
public func respCommand(_ port: Int, _ args: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { done in
        Thread { done.resume(with: Result { try respExchange(port, args) }) }.start()
    }
}

private func respExchange(_ port: Int, _ args: [String]) throws -> String {
    var frame = "*\(args.count)\r\n"
    for a in args { frame += "$\(a.utf8.count)\r\n\(a)\r\n" }
    let fd = try TestClient.connectLoopback(port, seconds: 60)
    defer { close(fd) }
    let bytes = Array(frame.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var reply: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        reply += chunk[..<n]
        guard let nl = (0..<max(0, reply.count - 1)).first(where: { reply[$0] == 13 && reply[$0 + 1] == 10 })
        else { continue }
        let head = String(decoding: reply[1..<nl], as: UTF8.self)
        if reply[0] == UInt8(ascii: "-") || reply[0] == UInt8(ascii: "+") { return head }
        if reply[0] == UInt8(ascii: "$"), let length = Int(head), reply.count >= nl + 2 + length + 2 {
            return String(decoding: reply[(nl + 2)..<(nl + 2 + length)], as: UTF8.self)
        }
    }
    return String(decoding: reply, as: UTF8.self)
}

/// A live RESP server on `service` (a free port) for the duration of `body`.
public func withRESPServer(_ service: MapService, config: ServerConfig = ServerConfig(),
                           _ body: @Sendable (Int) async throws -> Void) async throws {
    var config = config
    config.port = 0
    let (ports, listening) = AsyncStream.makeStream(of: Int.self)
    let server = RESPServer(service: service, config: config, logger: Logger(label: "test"),
                               onListening: { address in listening.yield(address.port ?? 0) })
    // As `gridmap serve` runs them: the server, and the watcher following the store beside it.
    let group = ServiceGroup(configuration: .init(services: [server, VersionWatcher(service: service)],
                                                  logger: Logger(label: "test")))
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw TestClient.Failure(description: "RESP did not start") }
    do { try await body(port) } catch {
        await group.triggerGracefulShutdown()
        _ = await running.result
        throw error
    }
    await group.triggerGracefulShutdown()
    _ = try await running.value
}
