import Foundation
import GridMapCore
import GridMapPlanning

/// Whether an address can be listened on, asked before `serve` starts anything: a port in use
/// is then said at once, naming the port, the protocol and the option that changes it, and
/// nothing has logged "listening" for a server that is about to exit. (The servers bind for
/// real right after; another process taking the port in between still fails, less kindly.)
enum ListenCheck {
    static func ensureFree(host: String, port: Int, protocol name: String, option: String) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(message: "\(name) cannot listen on \(host): not an address of this host (change it with "
                          + "\(option == "--port" ? "--host" : "--http-host"))", kind: .unavailable)
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return }
        let reason = errno
        let what = reason == EADDRINUSE ? "is already in use (another gridmap or Redis?)"
            : reason == EACCES ? "needs privileges this process does not have"
            : reason == EADDRNOTAVAIL ? "is not on an address of this host"
            : String(cString: strerror(reason))
        throw Failure(message: "\(name) cannot listen on \(host):\(port): the port \(what); "
                      + "choose another with \(option) PORT", kind: .unavailable)
    }
}
