import Crypto
import Foundation
import RosterProtocol

/// Decides whether an API key is valid and for which application.
public protocol APIKeyVerifier: Sendable {
    func introspect(_ key: String) async throws -> APIKeyIntrospection.Response
}

/// Asks the users service: `POST /internal/v1/api-keys/introspect`.
public struct IntrospectingAPIKeyVerifier: APIKeyVerifier {
    let client: InternalClient

    public init(client: InternalClient) {
        self.client = client
    }

    public func introspect(_ key: String) async throws -> APIKeyIntrospection.Response {
        try await self.client.call(
            .users, .POST, "/internal/v1/api-keys/introspect", body: APIKeyIntrospection.Request(key: key),
            idempotent: true, as: APIKeyIntrospection.Response.self)
    }
}

/// Caches another verifier's answers for a short time, keyed by the SHA-256 of the key, so
/// plaintext keys are not kept; revoking a key takes effect within the cache time.
///
/// Valid and invalid answers are kept apart, so a flood of made-up keys can only evict other
/// made-up keys, never the cached valid ones; requests that miss together share one lookup.
public actor CachingAPIKeyVerifier: APIKeyVerifier {
    private let upstream: any APIKeyVerifier
    private let ttl: TimeInterval
    private var valid: [SHA256.Digest: (answer: APIKeyIntrospection.Response, expires: Date)] = [:]
    private var invalid: [SHA256.Digest: Date] = [:]
    private var inFlight: [SHA256.Digest: Task<APIKeyIntrospection.Response, any Error>] = [:]
    private static let capacity = 10_000

    public init(_ upstream: any APIKeyVerifier, cacheSeconds: Int) {
        self.upstream = upstream
        self.ttl = TimeInterval(cacheSeconds)
    }

    public func introspect(_ key: String) async throws -> APIKeyIntrospection.Response {
        guard self.ttl > 0 else { return try await self.upstream.introspect(key) }
        let digest = SHA256.hash(data: Data(key.utf8))
        let now = Date()
        if let hit = self.valid[digest], hit.expires > now { return hit.answer }
        if let expires = self.invalid[digest], expires > now { return .inactive }
        if let pending = self.inFlight[digest] { return try await pending.value }
        let lookup = Task { [upstream = self.upstream] in try await upstream.introspect(key) }
        self.inFlight[digest] = lookup
        defer { self.inFlight[digest] = nil }
        let answer = try await lookup.value
        let expires = Date().addingTimeInterval(self.ttl)
        if answer.active {
            Self.makeRoom(in: &self.valid, now: now) { $0.expires }
            self.valid[digest] = (answer, expires)
        } else {
            Self.makeRoom(in: &self.invalid, now: now) { $0 }
            self.invalid[digest] = expires
        }
        return answer
    }

    /// Drops expired entries when full, and everything if that was not enough.
    private static func makeRoom<Value>(in cache: inout [SHA256.Digest: Value], now: Date, expiry: (Value) -> Date) {
        guard cache.count >= Self.capacity else { return }
        cache = cache.filter { expiry($0.value) > now }
        if cache.count >= Self.capacity { cache.removeAll() }
    }
}
