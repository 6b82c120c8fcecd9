import Foundation
import JWTKit
import Logging
import RosterProtocol

/// Where the verifier gets the users service's public signing keys.
public protocol JWKSSource: Sendable {
    func fetchJWKS() async throws -> JWKS
}

/// Verifies access JWTs locally against a cached JWKS: no call to the users service per request.
///
/// The key set is refreshed when it is older than the refresh interval, and at once (at most
/// every few seconds) when a token names a `kid` it does not know, so rotated keys are
/// picked up without waiting. If the users service is unreachable, cached keys keep working.
/// A token verified once is remembered until it expires (`VerifiedTokenCache`).
public actor AccessTokenVerifier {
    private nonisolated let verified = VerifiedTokenCache()
    private let source: any JWKSSource
    private let refreshInterval: TimeInterval
    private let logger: Logger
    private var keys = JWTKeyCollection()
    private var knownKIDs: Set<String> = []
    private var fetchedAt: Date?
    private var lastAttempt: Date?
    private var refreshing: Task<Void, any Error>?

    /// Refresh attempts (for a stale set or an unknown kid) happen at most once per this many
    /// seconds, so a users service that is down does not slow every request.
    static let unknownKIDRefreshGap: TimeInterval = 5

    public init(source: any JWKSSource, refreshInterval: TimeInterval, logger: Logger) {
        self.source = source
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The principal of a valid token; a 401 problem for anything else.
    public nonisolated func verify(_ token: String) async throws -> Principal {
        if let principal = self.verified.principal(for: token) { return principal }
        let (principal, expiresAt) = try await self.check(token)
        self.verified.store(principal, for: token, expiresAt: expiresAt)
        return principal
    }

    /// Parses and verifies a token not seen before: its principal and when it expires.
    private func check(_ token: String) async throws -> (Principal, Date) {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: AccessTokenClaims.self).header
        } catch {
            throw Problem.unauthorized("The access token is malformed.")
        }
        guard let kid = header.kid else { throw Problem.unauthorized("The access token names no signing key.") }
        let now = Date()
        let stale = self.fetchedAt.map { now.timeIntervalSince($0) > self.refreshInterval } ?? true
        let unknown = !self.knownKIDs.contains(kid)
        let mayRetry = self.lastAttempt.map { now.timeIntervalSince($0) > Self.unknownKIDRefreshGap } ?? true
        // A refresh already under way is joined even inside the gap: requests that arrive while
        // the first key set loads must wait for it, not fail on the empty one.
        if (stale || unknown) && (mayRetry || self.refreshing != nil) {
            do {
                try await self.refresh()
            } catch {
                self.logger.warning("could not refresh the JWKS", metadata: ["error": "\(error)"])
                if self.knownKIDs.isEmpty {
                    throw Problem.unavailable("Access tokens cannot be checked right now; retry shortly.")
                }
            }
        }
        guard self.knownKIDs.contains(kid) else { throw Problem.unauthorized("The access token was signed by an unknown key.") }
        let claims: AccessTokenClaims
        do {
            claims = try await self.keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw Problem.unauthorized("The access token is expired or not meant for Roster.")
        } catch {
            throw Problem.unauthorized("The access token is not valid.")
        }
        guard let userID = EntityID(claims.sub.value), let applicationID = EntityID(claims.app) else {
            throw Problem.unauthorized("The access token is not valid.")
        }
        let principal = Principal(
            applicationID: applicationID, credential: .user(userID: userID, userType: claims.role, sessionID: claims.sid.flatMap(EntityID.init)))
        return (principal, claims.exp.value)
    }

    private func refresh() async throws {
        if let refreshing {
            try await refreshing.value
            return
        }
        self.lastAttempt = Date()
        let task = Task { try await self.load() }
        self.refreshing = task
        defer { self.refreshing = nil }
        try await task.value
    }

    private func load() async throws {
        let jwks = try await self.source.fetchJWKS()
        let collection = JWTKeyCollection()
        try await collection.add(jwks: jwks)
        // Without a default key, an unknown kid can never fall back to another key.
        await collection.clearDefault()
        self.keys = collection
        let kids = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
        // A withdrawn key's tokens must not outlive it in the cache.
        if !self.knownKIDs.isSubset(of: kids) { self.verified.removeAll() }
        self.knownKIDs = kids
        self.fetchedAt = Date()
    }
}
