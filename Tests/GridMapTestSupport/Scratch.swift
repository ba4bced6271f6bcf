import Foundation

/// The repository's root directory (the tests read the committed data under it).
public let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The test run's scratch directory, removed when the process exits: the stores tests make
/// (8 MB each) must not pile up in the temporary directory run after run.
public enum Scratch {
    public static let directory: String = {
        let dir = NSTemporaryDirectory() + "/gridmap-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/gridmap-tests-\(getpid())")
        }
        return dir
    }()

    /// A fresh path in the scratch directory.
    public static func path(_ name: String) -> String { directory + "/\(name)-\(UUID().uuidString)" }
}
