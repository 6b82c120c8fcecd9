import Crypto
import Foundation
import RosterProtocol

/// Decides whether an API key is valid and for which application.
public protocol APIKeyVerifier: Sendable {
    func introspect(_ key: String) async throws -> APIKeyIntrospection.Response
}

/// Asks the users service (`POST /internal/v1/api-keys/introspect`) and caches answers briefly.
///
/// The cache is keyed by the SHA-256 of the key, so plaintext keys are never kept in memory
/// longer than a request; revoking a key takes effect within the cache time.
public actor IntrospectingAPIKeyVerifier: APIKeyVerifier {
    private let client: InternalClient
    private let ttl: TimeInterval
    private var cache: [SHA256.Digest: (answer: APIKeyIntrospection.Response, expires: Date)] = [:]
    private static let capacity = 10_000

    public init(client: InternalClient, cacheSeconds: Int) {
        self.client = client
        self.ttl = TimeInterval(cacheSeconds)
    }

    public func introspect(_ key: String) async throws -> APIKeyIntrospection.Response {
        let digest = SHA256.hash(data: Data(key.utf8))
        let now = Date()
        if let hit = self.cache[digest], hit.expires > now { return hit.answer }
        let answer = try await self.client.call(
            .users, .POST, "/internal/v1/api-keys/introspect", body: APIKeyIntrospection.Request(key: key),
            idempotent: true, as: APIKeyIntrospection.Response.self)
        if self.ttl > 0 {
            if self.cache.count >= Self.capacity { self.cache = self.cache.filter { $0.value.expires > now } }
            if self.cache.count >= Self.capacity { self.cache.removeAll() }
            self.cache[digest] = (answer, now.addingTimeInterval(self.ttl))
        }
        return answer
    }
}
