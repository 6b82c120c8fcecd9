import Foundation
import RosterProtocol
import Testing

@testable import RosterRuntime

/// The cache of verified access tokens: a hit only before expiry, bounded, emptied on demand.
@Suite struct VerifiedTokenCacheTests {
    let principal = Principal(
        applicationID: .generate(), credential: .user(userID: .generate(), userType: "user", sessionID: nil))

    @Test func answersOnlyUntilTheTokenExpires() {
        let cache = VerifiedTokenCache()
        let now = Date()
        cache.store(self.principal, for: "a.b.c", expiresAt: now.addingTimeInterval(60))
        #expect(cache.principal(for: "a.b.c", now: now) == self.principal)
        #expect(cache.principal(for: "a.b.d", now: now) == nil)
        #expect(cache.principal(for: "a.b.c", now: now.addingTimeInterval(61)) == nil)
        // The expired entry is gone, even for a clock that goes back.
        #expect(cache.principal(for: "a.b.c", now: now) == nil)
    }

    @Test func startsOverWhenFullAndEmptiesOnDemand() {
        let cache = VerifiedTokenCache(capacity: 3)
        let later = Date().addingTimeInterval(60)
        for token in ["1", "2", "3"] { cache.store(self.principal, for: token, expiresAt: later) }
        #expect(cache.principal(for: "1") != nil)
        cache.store(self.principal, for: "4", expiresAt: later)
        #expect(cache.principal(for: "1") == nil && cache.principal(for: "4") != nil)
        cache.removeAll()
        #expect(cache.principal(for: "4") == nil)
    }
}
