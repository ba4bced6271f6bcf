import Foundation
import Hummingbird
import Logging

/// The map page: its three files (bundled resources), its settings as `/config.js`, and
/// Leaflet from the directory Debian's libjs-leaflet installs (no internet needed).
struct PageRoutes {
    let config: HTTPConfig
    let logger: Logger

    func add(to router: Router<GridMapRequestContext>) {
        let leaflet = StaticFiles(directory: config.leafletDirectory, logger: logger)
        router.get("/leaflet/**") { request, _ in
            let path = request.uri.path.dropFirst("/leaflet/".count)
            return leaflet.response(String(path))
                ?? HTTPRefusal(.notFound, "no file '\(path.prefix(80))' under /leaflet").response
        }
        let files = [("/", "index.html", "text/html"), ("/map.js", "map.js", "text/javascript"),
                     ("/map.css", "map.css", "text/css"), ("/plan", "plan.html", "text/html"),
                     ("/plan.js", "plan.js", "text/javascript"), ("/common.js", "common.js", "text/javascript"),
                     ("/draw.js", "draw.js", "text/javascript"), ("/cases.js", "cases.js", "text/javascript"),
                     ("/stats.js", "stats.js", "text/javascript")]
        for (path, file, type) in files {
            let body = Self.resource(file)
            router.get(RouterPath(path)) { _, _ in
                guard let body else {
                    return HTTPRefusal(.internal, "the page's \(file) is missing").response
                }
                return Response(status: .ok, headers: [.contentType: type + "; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
        }
        let settings: [String: String?] = ["tiles": config.tileURL]
        let json = (try? JSONSerialization.data(withJSONObject: settings.compactMapValues { $0 })) ?? Data()
        let script = "window.GRIDMAP_CONFIG = " + String(decoding: json, as: UTF8.self) + ";\n"
        router.get("/config.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: script)))
        }
    }

    static func resource(_ name: String) -> [UInt8]? {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Page") else {
            return nil
        }
        return (try? Data(contentsOf: url)).map { Array($0) }
    }
}
