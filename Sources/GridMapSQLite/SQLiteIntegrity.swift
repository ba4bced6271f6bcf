#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GridMapGeometry
import GridMapModel
import GridMapStore

/// Which file a store connection opened (device and inode), to tell it from a file put in its
/// place or from no file at all.
package struct FileIdentity: Equatable, Sendable {
    package let device: UInt64
    package let inode: UInt64

    package init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

extension SQLiteStore {
    /// Checks that the file this connection writes is still the store at `path`, before a
    /// write starts and again before it is acknowledged. SQLite writes through the descriptors
    /// it opened: into a store file that was removed (or replaced) a publish succeeds, and is
    /// lost when the process ends. Throws an `internal`
    /// `StoreError` (code `store_unusable`) saying what happened to the file.
    public func checkIntact() throws {
        func unusable(_ what: String) -> StoreError {
            StoreError(path, what + "; nothing more is written to it (restore the file, then restart)",
                       code: .storeUnusable)
        }
        guard let now = FileIdentity(path: path) else {
            let reason = errno == ENOENT ? "the store file has been removed"
                : "the store file cannot be read (\(String(cString: strerror(errno))))"
            throw unusable(reason)
        }
        if let identity, now != identity { throw unusable("the store file has been replaced by another file") }
        // Through SQLite's descriptor: opening and closing one of our own would drop SQLite's
        // locks on the file (POSIX locks are the process's), see `readMainFile`.
        let header: [UInt8]
        do { header = try db.readMainFile(count: 100, offset: 0) } catch let e as SQLiteError {
            throw unusable("the store file cannot be read (\(e.message))")
        }
        let magic = Array("SQLite format 3\0".utf8)
        let app = header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard Array(header[0..<16]) == magic, app == UInt32(bitPattern: SQLiteStore.applicationID) else {
            throw unusable("the store file is no longer a gridmap store (overwritten)")
        }
    }

    /// Runs `body` as one write transaction, with the file checked before and after: a write
    /// whose file is gone is reported as failed, never acknowledged.
    package func writing<T>(_ body: () throws -> T) throws -> T {
        try checkIntact()
        let result = try named { try db.transaction(body) }
        try checkIntact()
        return result
    }

    /// SQLite takes the file's write lock when the transaction begins: publishers in every
    /// process take turns.
    public func publishing<T>(_ body: () throws -> T) throws -> T { try writing(body) }
}
