import Foundation
import RosterProtocol
import Synchronization

/// Each application's attribute definitions by slug, kept for a second for the search, which
/// needs them on every request to type its filters.
///
/// Changes made through this process are seen at once (the repository forgets the
/// application); changes made by another replica within `lifetime`. A stale catalog can only
/// make a search refuse or ignore an attribute that just changed, never read another
/// application's or a sealed value: the query itself is always scoped and typed again by SQL.
final class AttributeCatalogCache: Sendable {
    static let lifetime: Duration = .seconds(1)
    private static let capacity = 10_000

    private struct Entry {
        var catalog: [String: AttributeDefinition]
        var expires: ContinuousClock.Instant
    }

    /// Entries, and a generation per forgotten application so a load that raced a change is not kept.
    private let state = Mutex<(entries: [EntityID: Entry], generation: Int)>(([:], 0))

    /// The cached catalog, or the one `load` returns (then kept).
    func catalog(
        applicationID: EntityID, load: () async throws -> [String: AttributeDefinition]
    ) async throws -> [String: AttributeDefinition] {
        let now = ContinuousClock.now
        let (hit, generation) = self.state.withLock { state in
            (state.entries[applicationID].flatMap { $0.expires > now ? $0.catalog : nil }, state.generation)
        }
        if let hit { return hit }
        let catalog = try await load()
        self.state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll() }
            state.entries[applicationID] = Entry(catalog: catalog, expires: now + Self.lifetime)
        }
        return catalog
    }

    /// Drops an application's catalog after a change of its definitions.
    func forget(applicationID: EntityID) {
        self.state.withLock { state in
            state.entries[applicationID] = nil
            state.generation += 1
        }
    }
}
