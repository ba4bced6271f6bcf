import Foundation
import GridMapCore
import GridMapNetwork
import GridMapStores
import GridMapPlanning

/// Which data and which store a command reads when none is named: the CLI's to decide (the
/// engine reads no environment and no command line).
enum StoreLocation {
    /// The bundled Yufeng data: `$GRIDMAP_DATA`, else `data/yufeng` in the working directory
    /// or up from the executable (so `swift run` and an installed binary both work).
    static var defaultDataDirectory: String {
        DataFiles.defaultDirectory(environment: ProcessInfo.processInfo.environment,
                                   executable: CommandLine.arguments.first)
    }

    /// The store named, else `$GRIDMAP_STORE`, else the data directory's sibling
    /// `<dir>.gridmap` (`data/yufeng.gridmap` for the bundled data), created from the
    /// directory on first use, which is said on standard error. Two processes starting at once
    /// both end with the same store: one creates it (atomically), the other opens what the
    /// first made.
    static func resolve(store: String?, data: String?) throws -> String {
        if let store { return store }
        if data == nil, let env = ProcessInfo.processInfo.environment["GRIDMAP_STORE"], !env.isEmpty { return env }
        var dir = data ?? defaultDataDirectory
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        let path = dir + ".gridmap"
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try Stores.create(path, from: try Dataset.load(directory: dir), author: Credentials.anonymousAuthor,
                                  message: "imported from \(dir)")
                FileHandle.standardError.write(Data("gridmap: created the store \(path) from \(dir)\n".utf8))
            } catch where FileManager.default.fileExists(atPath: path) {
                // Another process created it meanwhile.
            }
        }
        return path
    }
}
