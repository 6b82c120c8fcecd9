import Foundation
import Synchronization

/// Access tokens verified before, with their principal, until they expire: a repeat of a
/// token (every request of a signed-in client) skips parsing and the signature check, and
/// takes no actor hop.
///
/// Bounded: when full, it starts over empty. Emptied when the signing keys change, so a key
/// withdrawn from the JWKS stops admitting its tokens at the next refresh, as without a cache.
final class VerifiedTokenCache: Sendable {
    private struct Entry {
        var principal: Principal
        var expiresAt: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The principal of `token` if it was verified and has not expired.
    func principal(for token: String, now: Date = Date()) -> Principal? {
        self.entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard entry.expiresAt > now else {
                entries[token] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, for token: String, expiresAt: Date) {
        self.entries.withLock { entries in
            if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = Entry(principal: principal, expiresAt: expiresAt)
        }
    }

    func removeAll() {
        self.entries.withLock { $0.removeAll() }
    }
}
