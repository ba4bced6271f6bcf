import Foundation
import Hummingbird
import Logging

/// Leaflet's files, served from the directory Debian's libjs-leaflet installs. The directory
/// is read once at start: only regular files inside it are served (a symbolic link is
/// followed only when its target lies inside it too), each by its own name, with the type
/// of its true extension. Nothing else on the disk can be asked for, a path that is not one
/// of those files is 404, and nothing is redirected.
struct StaticFiles: Sendable {
    let files: [String: (type: String, bytes: [UInt8])]

    static let types = [
        "js": "text/javascript", "css": "text/css", "png": "image/png", "svg": "image/svg+xml",
        "map": "application/json", "json": "application/json", "html": "text/html",
    ]
    /// Past this a directory is not what libjs-leaflet installs: stop reading it.
    static let maxBytes = 16 << 20

    init(directory: String, logger: Logger) {
        var files: [String: (type: String, bytes: [UInt8])] = [:]
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        var total = 0
        if let walk = FileManager.default.enumerator(atPath: root) {
            while let relative = walk.nextObject() as? String {
                let full = root + "/" + relative
                let real = URL(fileURLWithPath: full).resolvingSymlinksInPath().path
                guard real.hasPrefix(root + "/"),
                      let kind = try? FileManager.default.attributesOfItem(atPath: real)[.type] as? FileAttributeType,
                      kind == .typeRegular,
                      let type = Self.types[(relative as NSString).pathExtension.lowercased()],
                      let data = FileManager.default.contents(atPath: real), total + data.count <= Self.maxBytes
                else { continue }
                total += data.count
                files[relative] = (type, Array(data))
            }
        }
        if files.isEmpty { logger.warning("no Leaflet files in \(directory): the map page will not draw") }
        self.files = files
    }

    /// The file at `relative` (below the directory, canonical), or nil.
    func response(_ relative: String) -> Response? {
        guard let file = files[relative] else { return nil }
        return Response(status: .ok, headers: [.contentType: file.type + "; charset=utf-8",
                                               .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
