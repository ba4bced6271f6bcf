import Foundation
import GridMapCore
import GridMapTestSupport
import Logging
import NIOCore
import ServiceLifecycle
@testable import GridMapRESP
#if canImport(Glibc)
import Glibc
#endif
import GridMapStores
import GridMapPlanning

enum Fixture {
    static var root: String { GridMapTestSupport.root }
    /// A store made from the committed data once per test run; each server gets a copy.
    static let templateStore: String = {
        let path = Scratch.directory + "/template.gridmap"
        try? FileManager.default.removeItem(atPath: path)
        try! Stores.create(path, from: try! Dataset.load(directory: root + "/data/yufeng"), author: "test",
                             message: "the committed data")
        return path
    }()
    static let snapshot: Snapshot = try! Snapshot.load(store: templateStore)
    /// Its addresses with their grids (a store's snapshot reads them when first asked).
    static let addresses: [Address] = try! snapshot.addresses()

    /// A private copy of the template store, for a server that may publish.
    static func freshStore() -> String {
        let path = Scratch.directory + "/store-\(UUID().uuidString).gridmap"
        try! FileManager.default.copyItem(atPath: templateStore, toPath: path)
        return path
    }
}

/// A real server on an ephemeral loopback port, run by a ServiceGroup as in production.
final class TestServer: Sendable {
    let server: RESPServer
    let group: ServiceGroup
    let port: Int
    let task: Task<Void, Error>

    static func start(
        store: String? = nil, _ configure: (inout ServerConfig) -> Void = { _ in }
    ) async throws -> TestServer {
        var config = ServerConfig()
        config.port = 0
        configure(&config)
        let service = try MapService(storeLocation: store ?? Fixture.freshStore())
        // As `gridmap serve` does: the store's accounts sign in beside the built-in users.
        if config.credentials.accounts == nil { config.credentials.accounts = service.cases }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = RESPServer(service: service, config: config, logger: logger) { address in
            continuation.yield(address.port ?? 0)
        }
        // As `gridmap serve` runs them: the server, and the watcher following the store beside it.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: VersionWatcher(service: service)),
                       .init(service: CaseFeedService(desk: service.cases))], logger: logger))
        let task = Task { try await group.run() }
        var port = 0
        for await p in stream { port = p; break }
        return TestServer(server: server, group: group, port: port, task: task)
    }

    private init(server: RESPServer, group: ServiceGroup, port: Int, task: Task<Void, Error>) {
        self.server = server; self.group = group; self.port = port; self.task = task
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// A blocking RESP client over a plain POSIX socket: what any Redis client does on the wire.
final class Client {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `timeout`: how long a reply may take (a debug build's planning commands, on a machine
    /// busy with the other suites, take seconds).
    init(port: Int, timeout: Int = 60) throws {
        fd = try TestClient.connectLoopback(port, seconds: timeout)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
    func send(_ text: String) { send(Array(text.utf8)) }

    /// Sends what the socket takes now, without waiting; returns the bytes sent.
    func sendWithoutBlocking(_ bytes: [UInt8]) -> Int {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var sent = 0
        for _ in 0..<50 where sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n } else { usleep(10_000) }
        }
        return sent
    }

    /// Sends a command as an array of bulk strings.
    func command(_ args: String...) throws -> Reply { try command(args) }
    func command(_ args: [String]) throws -> Reply {
        send(Client.encode(args))
        return try read()
    }

    static func encode(_ args: [String]) -> [UInt8] {
        var out = Array("*\(args.count)\r\n".utf8)
        for a in args { out += Array("$\(a.utf8.count)\r\n".utf8) + Array(a.utf8) + [13, 10] }
        return out
    }

    /// Reads one reply; `.closed` when the server closed the connection.
    func read() throws -> Reply {
        while true {
            var i = 0
            if let reply = try Client.parse(buffer, &i) { buffer.removeFirst(i); return reply }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return .closed }
            if n < 0 {
                if errno == ECONNRESET { return .closed }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            buffer += chunk[0..<n]
        }
    }

    indirect enum Reply: Equatable {
        case simple(String), error(String), integer(Int), bulk(String?), array([Reply]), map([Reply]), null, other(
            String), closed
        var string: String? {
            switch self { case .simple(let s): return s; case .bulk(let s): return s; default: return nil }
        }
        var json: JSONValue? { string.flatMap { try? JSONParser.parse($0) } }
        var isError: Bool { if case .error = self { return true }; return false }
    }

    static func parse(_ b: [UInt8], _ i: inout Int) throws -> Reply? {
        guard i < b.count else { return nil }
        guard let lf = b[i...].firstIndex(of: 10) else { return nil }
        let line = String(decoding: b[(i + 1)..<(lf - 1)], as: UTF8.self)
        let type = b[i]
        var j = lf + 1
        switch type {
        case UInt8(ascii: "+"): i = j; return .simple(line)
        case UInt8(ascii: "-"): i = j; return .error(line)
        case UInt8(ascii: ":"): i = j; return .integer(Int(line)!)
        case UInt8(ascii: "_"): i = j; return .null
        case UInt8(ascii: ","), UInt8(ascii: "#"): i = j; return .other(line)
        case UInt8(ascii: "$"):
            let n = Int(line)!
            if n < 0 { i = j; return .bulk(nil) }
            guard b.count >= j + n + 2 else { return nil }
            i = j + n + 2
            return .bulk(String(decoding: b[j..<(j + n)], as: UTF8.self))
        case UInt8(ascii: "*"), UInt8(ascii: "%"):
            let n = Int(line)! * (type == UInt8(ascii: "%") ? 2 : 1)
            var items: [Reply] = []
            for _ in 0..<max(0, n) {
                guard let item = try parse(b, &j) else { return nil }
                items.append(item)
            }
            i = j
            return type == UInt8(ascii: "%") ? .map(items) : .array(items)
        default: throw POSIXError(.EPROTO)
        }
    }
}
