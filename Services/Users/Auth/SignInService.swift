import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Sign-in, refresh and credential checks, with the protections around them: a per-address
/// rate limit, lockouts per account and per address (reserved before the slow check, so
/// parallel guesses share one budget), the same work for unknown accounts as for wrong
/// passwords, and sessions whose refresh tokens rotate.
struct SignInService: Sendable {
    let client: PostgresClient
    let users: UserRepository
    let sessions: SessionRepository
    let lockouts: LockoutRepository
    let applications: ApplicationRepository
    let hasher: PasswordHasher
    let signer: AccessTokenSigner
    let limiter: RateLimiter
    let configuration: UsersConfiguration

    /// Where a sign-in comes from.
    struct Origin: Sendable {
        /// The client address locks and limits count against (`key:<id>` for a back-end).
        var address: String
        var userAgent: String?
    }

    /// What a successful sign-in or refresh hands out.
    struct Issued: Sendable {
        var user: User
        var sessionID: EntityID
        var accessToken: String
        var expiresIn: Int
        var refreshToken: String
        var refreshExpiresIn: Int
        var cookie: Bool
    }

    /// Email or username and password.
    func signIn(identifier: String, password: String, applicationID: EntityID, origin: Origin, cookie: Bool, logger: Logger)
        async throws -> Issued
    {
        guard let (user, rehash) = try await self.checkPassword(identifier: identifier, password, applicationID: applicationID, origin: origin, logger: logger)
        else { throw Problem.invalidCredentials }
        return try await self.open(user, newHash: rehash, origin: origin, cookie: cookie, logger: logger)
    }

    /// User id and seed-003 login token.
    func signIn(userID: EntityID, token: String, applicationID: EntityID, origin: Origin, cookie: Bool, logger: Logger) async throws -> Issued {
        try await self.admit(applicationID: applicationID, origin: origin, logger: logger)
        let subjects = [self.lockouts.account(user: userID, typed: ""), .address(origin.address)]
        let user: User? = try await self.guarded(subjects, applicationID: applicationID, logger: logger) {
            guard let (user, hash) = try await self.users.loginToken(of: userID, applicationID: applicationID, logger: logger),
                let hash, SecretToken.matches(token, hash: hash)
            else { return nil }
            return user
        }
        guard let user else { throw Problem.invalidCredentials(field: "token", detail: "Invalid user id or login token.") }
        try self.checkStatus(user)
        return try await self.open(user, newHash: nil, origin: origin, cookie: cookie, logger: logger)
    }

    /// Checks a password for a back-end (`/auth/validate`): the same protections, no session.
    func validate(identifier: String, password: String, applicationID: EntityID, origin: Origin, logger: Logger) async throws -> User? {
        try await self.checkPassword(identifier: identifier, password, applicationID: applicationID, origin: origin, logger: logger)?.0
    }

    /// Checks the current password of a signed-in user (before a password change), counted
    /// against the same lockouts as sign-ins.
    func checkPassword(of user: User, _ password: String, origin: Origin, logger: Logger) async throws -> Bool {
        let subjects = [self.lockouts.account(user: user.id, typed: ""), .address(origin.address)]
        let hash = try await self.users.passwordHash(of: user.id, applicationID: user.applicationID, logger: logger)
        let matched: User? = try await self.guarded(subjects, applicationID: user.applicationID, logger: logger) {
            try await self.hasher.verify(password, against: hash) ? user : nil
        }
        return matched != nil
    }

    /// The user whose email or username and password these are, and a new hash when the stored
    /// one has another cost; `nil` for wrong credentials (already counted).
    private func checkPassword(identifier: String, _ password: String, applicationID: EntityID, origin: Origin, logger: Logger)
        async throws -> (User, String?)?
    {
        try await self.admit(applicationID: applicationID, origin: origin, logger: logger)
        let found = try await self.users.credentials(identifier: identifier, applicationID: applicationID, logger: logger)
        let subjects = [self.lockouts.account(user: found?.0.id, typed: identifier), .address(origin.address)]
        let user: User? = try await self.guarded(subjects, applicationID: applicationID, logger: logger) {
            try await self.hasher.verify(password, against: found?.1) ? found?.0 : nil
        }
        guard let user else { return nil }
        try self.checkStatus(user)
        var rehash: String?
        if let hash = found?.1, self.hasher.needsRehash(hash) { rehash = try await self.hasher.hash(password) }
        return (user, rehash)
    }

    /// The application is active and the address within its sign-in rate.
    private func admit(applicationID: EntityID, origin: Origin, logger: Logger) async throws {
        guard try await self.applications.isActive(applicationID, logger: logger) else { throw Problem.invalidCredentials }
        try await self.limiter.hit(
            "sign-in:\(applicationID):\(origin.address)", limit: self.configuration.loginPerMinute, window: 60, logger: logger)
    }

    /// Runs a credential check inside a lockout reservation of `subjects`.
    private func guarded(
        _ subjects: [LockoutRepository.Subject], applicationID: EntityID, logger: Logger, check: () async throws -> User?
    ) async throws -> User? {
        if let seconds = try await self.lockouts.reserve(subjects, applicationID: applicationID, logger: logger) {
            throw TooManyRequests(
                retryAfter: max(1, seconds), code: "sign_in_locked", detail: "Too many failed sign-ins for this account or address.")
        }
        let user: User?
        do {
            user = try await check()
        } catch {
            // The check could not run (hashing busy, database down): not a failed sign-in.
            try? await self.lockouts.released(subjects, applicationID: applicationID, logger: logger)
            throw error
        }
        if user == nil {
            try await self.lockouts.failed(subjects, applicationID: applicationID, logger: logger)
        } else {
            try await self.lockouts.succeeded(subjects, applicationID: applicationID, logger: logger)
        }
        return user
    }

    private func checkStatus(_ user: User) throws {
        switch user.status {
        case .active:
            return
        case .blocked:
            throw Problem(
                status: 403, code: "account_banned", title: "Forbidden",
                detail: "This account is banned" + (user.banReason.map { ": \($0)" } ?? "."))
        case .inactive:
            throw Problem(status: 403, code: "account_inactive", title: "Forbidden", detail: "This account is inactive.")
        }
    }

    /// Opens a session: first refresh token, last login time (with its `user.updated`), a
    /// rehashed password when due, then the access token.
    private func open(_ user: User, newHash: String?, origin: Origin, cookie: Bool, logger: Logger) async throws -> Issued {
        try await self.signer.prepare()
        let refreshToken = SecretToken.refreshToken()
        let lifetime = TimeInterval(self.configuration.refreshTokenSeconds)
        let (sessionID, signedIn) = try await self.client.withTransaction(logger: logger) { connection in
            // The user row is locked first: the session's foreign key would otherwise take a
            // share lock on it before, and two sign-ins of one user would deadlock.
            let now = Date()
            let updated = try await self.users.update(
                user.id, applicationID: user.applicationID, passwordHash: newHash, on: connection, logger: logger
            ) {
                $0.lastLoginAt = now
                $0.lastActivityAt = now
            }
            let sessionID = try await self.sessions.open(
                userID: user.id, applicationID: user.applicationID, refreshTokenHash: SecretToken.hash(refreshToken), lifetime: lifetime,
                userAgent: origin.userAgent, ip: origin.address, cookie: cookie, on: connection, logger: logger)
            return (sessionID, updated ?? user)
        }
        return try await self.issue(signedIn, sessionID: sessionID, refreshToken: refreshToken, cookie: cookie)
    }

    /// Uses a refresh token: a new pair, or the end of the family on reuse. `accepts` decides,
    /// from the token's session, whether this request may use it (the CSRF check of a refresh
    /// by cookie); nothing changes when it may not.
    func refresh(_ token: String, accepts: @Sendable (EntityID) -> Bool, logger: Logger) async throws -> Issued {
        try await self.signer.prepare()
        let successor = SecretToken.refreshToken()
        let lifetime = TimeInterval(self.configuration.refreshTokenSeconds)
        let outcome: Result<(User, EntityID, Bool), Problem> = try await self.client.withTransaction(logger: logger) { connection in
            let presented = try await self.sessions.rotate(
                presentedHash: SecretToken.hash(token), successorHash: SecretToken.hash(successor), lifetime: lifetime, accepts: accepts,
                on: connection, logger: logger)
            switch presented {
            case .invalid:
                return .failure(
                    Problem(status: 401, code: "invalid_refresh_token", title: "Unauthorized", detail: "The refresh token is not valid."))
            case .refused:
                return .failure(.csrfInvalid)
            case .reused:
                return .failure(
                    Problem(
                        status: 401, code: "refresh_token_reused", title: "Unauthorized",
                        detail: "The refresh token was already used; the session has been ended. Sign in again."))
            case .rotated(let sessionID, let userID, let applicationID, let cookie):
                let user = try await self.users.find(userID, applicationID: applicationID, on: connection, logger: logger)
                let active = try await self.applications.isActive(applicationID, on: connection, logger: logger)
                guard let user, user.status == .active, active else {
                    try await self.sessions.revoke(sessionID, reason: "account_unavailable", on: connection, logger: logger)
                    return .failure(
                        Problem(status: 401, code: "account_unavailable", title: "Unauthorized", detail: "The account can no longer sign in."))
                }
                return .success((user, sessionID, cookie))
            }
        }
        let (user, sessionID, cookie) = try outcome.get()
        return try await self.issue(user, sessionID: sessionID, refreshToken: successor, cookie: cookie)
    }

    private func issue(_ user: User, sessionID: EntityID, refreshToken: String, cookie: Bool) async throws -> Issued {
        let (accessToken, expiresIn) = try await self.signer.sign(
            userID: user.id, applicationID: user.applicationID, role: user.type.rawValue, sessionID: sessionID)
        return Issued(
            user: user, sessionID: sessionID, accessToken: accessToken, expiresIn: expiresIn, refreshToken: refreshToken,
            refreshExpiresIn: self.configuration.refreshTokenSeconds, cookie: cookie)
    }
}

extension Problem {
    /// Wrong credentials; the same answer whether or not the account exists.
    static let invalidCredentials = Problem.invalidCredentials(field: "password", detail: "Invalid username or password.")

    static func invalidCredentials(field: String, detail: String) -> Problem {
        Problem(
            status: 401, code: "invalid_credentials", title: "Unauthorized", detail: detail,
            errors: [.init(field: field, code: "invalid_credentials", message: "does not match an account")])
    }
}
