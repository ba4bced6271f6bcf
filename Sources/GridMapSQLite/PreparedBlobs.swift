import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

extension SQLiteStore {
    public var keepsPreparedBlobs: Bool { true }

    private static let preparedSchema = """
        CREATE TABLE IF NOT EXISTS prepared(
            version INTEGER NOT NULL, kind TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (version, kind));
        """

    /// `body` of the blob, read in place (nil when there is none).
    public func withPreparedBlob<T>(version: Int, kind: String, _ body: (UnsafeRawBufferPointer) -> T?) throws -> T? {
        try named {
            guard (try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'prepared'") ?? 0) == 1 else {
                return nil
            }
            // Read through a memory map: the blob's pages are then not read one call each.
            try db.execute("PRAGMA mmap_size = 268435456")
            var result: T?
            try db.query("SELECT data FROM prepared WHERE version = ? AND kind = ?",
                         [.integer(version), .text(kind)]) { result = body($0.blobBytes(0)) }
            return result
        }
    }

    public func savePrepared(version: Int, kind: String, blob: [UInt8]) throws {
        try named {
            try db.execute(SQLiteStore.preparedSchema)
            try db.query("INSERT OR REPLACE INTO prepared(version, kind, data) VALUES (?, ?, ?)",
                         [.integer(version), .text(kind), .blob(blob)])
        }
    }
}
