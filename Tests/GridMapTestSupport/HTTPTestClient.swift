#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridMapCore
import GridMapNetwork
import GridMapHTTP
import GridMapRESP
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import GridMapSQLite
import GridMapPostgres
import GridMapStores
import GridMapPlanning

/// An HTTP response as the tests read it.
public struct TestResponse: Sendable {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    public let body: ByteBuffer
}

/// A minimal HTTP/1.1 client over a real socket, one connection per request (`Connection:
/// close`, read to the end). It stands in for HummingbirdTesting, whose client brings
/// async-http-client, swift-nio-ssl and swift-crypto (BoringSSL) into the test build: most of
/// a clean build's time, for a loopback client that needs none of them.
public struct TestClient: Sendable {
    public let port: Int
    public init(port: Int) { self.port = port }

    public func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil)
        async throws -> TestResponse
    {
        var head = "\(method.rawValue) \(uri) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for field in headers { head += "\(field.name.rawName): \(field.value)\r\n" }
        if let body { head += "Content-Length: \(body.readableBytes)\r\n" }
        // As a client says what it sends: a JSON body as JSON, anything else (WKT) as text.
        if let body, headers[.contentType] == nil {
            let json = body.readableBytesView.first.map { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") } ?? false
            head += "Content-Type: \(json ? "application/json" : "text/plain")\r\n"
        }
        var bytes = Array((head + "\r\n").utf8)
        if let body { bytes += Array(body.readableBytesView) }
        let request = bytes
        let port = self.port
        // A thread of its own: blocking on a socket in the cooperative pool (two threads on two
        // cores) would starve the server, whose handlers run there too.
        let raw = try await withCheckedThrowingContinuation { done in
            Thread { done.resume(with: Result { try Self.exchange(request, port: port) }) }.start()
        }
        return try Self.parse(raw)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// A blocking TCP connection to 127.0.0.1:`port` whose reads time out after `seconds`; the
    /// caller closes it. RESP's tests in this target connect with it too.
    public static func connectLoopback(_ port: Int, seconds: Int = 60) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to \(port): \(errno)")
        }
        return fd
    }

    private static func exchange(_ request: [UInt8], port: Int) throws -> [UInt8] {
        let fd = try connectLoopback(port)
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { break }  // the server may answer (413) and close before reading all
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[..<n]
        }
        return response
    }

    private static func parse(_ raw: [UInt8]) throws -> TestResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no complete response: \(String(decoding: raw.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]) else { throw Failure(description: "status: \(lines[0])") }
        var headers = HTTPFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else {
                continue
            }
            headers.append(HTTPField(name: name, value: line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(raw[(end + 4)...])
        if headers[.transferEncoding]?.lowercased() == "chunked" { body = dechunk(body) }
        return TestResponse(status: HTTPResponse.Status(code: code), headers: headers, body: ByteBuffer(bytes: body))
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<max(i, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self)
                    .split(separator: ";")[0], radix: 16), size > 0 else { break }
            out += bytes[(lineEnd + 2)..<min(bytes.count, lineEnd + 2 + size)]
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// The committed Yufeng data, loaded once per test process.
public let snapshot: Snapshot = try! Snapshot.load(directory: root + "/data/yufeng")

/// A live server (a real socket on a free port) on the committed data, with `access`'s
/// passwords, for the duration of `body`.
public func withServer(map: ServedMap? = nil, access: Credentials = Credentials(),
                _ body: @Sendable (TestClient) async throws -> Void) async throws {
    var config = HTTPConfig()
    config.port = 0
    config.credentials = access
    let (ports, listening) = AsyncStream.makeStream(of: Int.self)
    let app = GridMapHTTP.application(map: map ?? ServedMap(MapService(snapshot: snapshot)), config: config,
                                      resp: ServerStats(), logger: Logger(label: "test"),
                                      onListening: { port in listening.yield(port) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw TestClient.Failure(description: "the server did not start") }
    do { try await body(TestClient(port: port)) } catch {
        await group.triggerGracefulShutdown()
        _ = await running.result
        throw error
    }
    await group.triggerGracefulShutdown()
    _ = try await running.value
}

public func json(_ r: TestResponse) throws -> JSONValue { try JSONParser.parse(String(buffer: r.body)) }
