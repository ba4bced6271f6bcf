import CGEOS
import Synchronization

/// A failure reported by GEOS or PROJ, carrying the library's own message.
public struct GeometryError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Live native handles (GEOS contexts and geometries, PROJ contexts and transformers).
/// Tests read it to prove that every create has its destroy.
public enum NativeHandles {
    package static let counter = Atomic<Int>(0)
    public static var live: Int { counter.load(ordering: .relaxed) }
    package static func created() { counter.add(1, ordering: .relaxed) }
    package static func destroyed() { counter.subtract(1, ordering: .relaxed) }
}

/// GEOS keeps the last error message per context; the handler writes it here.
private final class MessageBox {
    package var last = ""
}

/// One GEOS context handle. GEOS contexts are not thread-safe, so a context and every
/// `Geometry` made in it stay on the thread (or task) that created them; neither type is
/// `Sendable`. Shared, multi-threaded data lives in plain Swift values (see `Shape` and
/// `GridIndex`) and is turned into GEOS geometries per context when GEOS is needed.
public final class GEOSContext {
    package let handle: GEOSContextHandle_t
    private let box: Unmanaged<MessageBox>
    /// Geometries of this context not yet destroyed (tests use it to prove none leak).
    public internal(set) var liveGeometries = 0

    public init() {
        guard let handle = GEOS_init_r() else { fatalError("GEOS_init_r returned NULL (out of memory)") }
        self.handle = handle
        box = Unmanaged.passRetained(MessageBox())
        GEOSContext_setErrorMessageHandler_r(handle, { message, userdata in
            guard let message, let userdata else { return }
            Unmanaged<MessageBox>.fromOpaque(userdata).takeUnretainedValue().last = String(cString: message)
        }, box.toOpaque())
        NativeHandles.created()
    }

    deinit {
        GEOS_finish_r(handle)
        box.release()
        NativeHandles.destroyed()
    }

    /// The error for a failed call: what we were doing plus GEOS's own message.
    package func error(_ operation: String) -> GeometryError {
        let message = box.takeUnretainedValue().last
        box.takeUnretainedValue().last = ""
        return GeometryError(message.isEmpty ? "GEOS \(operation) failed" : "GEOS \(operation): \(message)")
    }

    /// Wraps a returned geometry pointer, or throws GEOS's message when it is NULL.
    package func wrap(_ pointer: OpaquePointer?, _ operation: String) throws -> Geometry {
        guard let pointer else { throw error(operation) }
        return Geometry(owning: pointer, in: self)
    }

    /// GEOS predicates answer 0, 1, or 2 for an exception.
    package func predicate(_ value: CChar, _ operation: String) throws -> Bool {
        switch value {
        case 0: return false
        case 1: return true
        default: throw error(operation)
        }
    }

    /// Frees a string or buffer GEOS allocated.
    package func free(_ pointer: UnsafeMutableRawPointer?) {
        if let pointer { GEOSFree_r(handle, pointer) }
    }
}
