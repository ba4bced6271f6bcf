import Foundation
import GridMapStore

/// Listens for a backend's hints of new versions (PostgreSQL's NOTIFY) on a thread and a
/// connection of its own, made again when it is lost. A hint only wakes the watcher, which
/// reads the head itself: a hint lost meanwhile costs at most the safety poll.
enum VersionHintListener {
    /// Starts the thread; it ends when `running` answers false. `open` makes the connection
    /// (nil: the store sends no hints); `serving` is the version now served.
    static func start(open: @escaping @Sendable () throws -> (any VersionHints)?, follow: FollowState,
                      inbox: WatcherInbox, serving: @escaping @Sendable () -> Int,
                      running: @escaping @Sendable () -> Bool) {
        let thread = Thread {
            var hints: (any VersionHints)?
            while running() {
                do {
                    if hints == nil {
                        hints = try open()
                        follow.listening.store(hints != nil, ordering: .relaxed)
                        // Anything published while no one listened is caught up now.
                        inbox.wake()
                    }
                    guard let h = hints else { return }
                    let ids = try h.wait(seconds: 0.5)
                    guard let newest = ids.max() else { continue }
                    follow.hintsHeard.add(ids.count, ordering: .relaxed)
                    follow.saw(newest, serving: serving())
                    inbox.wake()
                } catch {
                    hints = nil
                    follow.listening.store(false, ordering: .relaxed)
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
        }
        thread.name = "gridmap-version-hints"
        thread.start()
    }
}
