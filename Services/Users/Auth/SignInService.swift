import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Sign-in, refresh and credential checks, with the protections around them: a per-address
/// rate limit, lockouts per account and per address, the same work for unknown accounts as
/// for wrong passwords, and sessions whose refresh tokens rotate.
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

    static let invalidCredentials = Problem(
        status: 401, code: "invalid_credentials", title: "Unauthorized", detail: "Invalid username or password.",
        errors: [.init(field: "password", code: "invalid_credentials", message: "does not match an account")])

    /// Email or username and password.
    func signIn(identifier: String, password: String, applicationID: EntityID, origin: Origin, cookie: Bool, logger: Logger)
        async throws -> Issued
    {
        let account = identifier.lowercased()
        let user = try await self.checkCredentials(
            subject: account, applicationID: applicationID, origin: origin, logger: logger
        ) {
            let found = try await self.users.credentials(identifier: identifier, applicationID: applicationID, logger: logger)
            let matches = try await self.hasher.verify(password, against: found?.1)
            return matches ? found?.0 : nil
        }
        guard let user else { throw Self.invalidCredentials }
        return try await self.open(user, origin: origin, cookie: cookie, logger: logger)
    }

    /// User id and seed-003 login token.
    func signIn(userID: EntityID, token: String, applicationID: EntityID, origin: Origin, cookie: Bool, logger: Logger) async throws -> Issued {
        let user = try await self.checkCredentials(
            subject: "id:\(userID)", applicationID: applicationID, origin: origin, logger: logger
        ) {
            guard let (user, hash) = try await self.users.loginToken(of: userID, applicationID: applicationID, logger: logger),
                let hash, SecretToken.matches(token, hash: hash)
            else { return nil }
            return user
        }
        guard let user else {
            throw Problem(
                status: 401, code: "invalid_credentials", title: "Unauthorized", detail: "Invalid user id or login token.",
                errors: [.init(field: "token", code: "invalid_credentials", message: "does not match the user")])
        }
        return try await self.open(user, origin: origin, cookie: cookie, logger: logger)
    }

    /// Checks a password for a back-end (`/auth/validate`): the same protections, no session.
    func validate(identifier: String, password: String, applicationID: EntityID, origin: Origin, logger: Logger) async throws -> User? {
        try await self.checkCredentials(subject: identifier.lowercased(), applicationID: applicationID, origin: origin, logger: logger) {
            let found = try await self.users.credentials(identifier: identifier, applicationID: applicationID, logger: logger)
            return try await self.hasher.verify(password, against: found?.1) ? found?.0 : nil
        }
    }

    /// Rate limit, lockout check, the credential check itself, failure bookkeeping and the
    /// account's state; returns the user, or `nil` for wrong credentials (already counted).
    private func checkCredentials(
        subject: String, applicationID: EntityID, origin: Origin, logger: Logger, check: () async throws -> User?
    ) async throws -> User? {
        guard try await self.applications.isActive(applicationID, logger: logger) else { throw Self.invalidCredentials }
        try await self.limiter.hit(
            "sign-in:\(applicationID):\(origin.address)", limit: self.configuration.loginPerMinute, window: 60, logger: logger)
        let subjects: [(LockoutRepository.Kind, String)] = [(.account, subject), (.address, origin.address)]
        if let seconds = try await self.lockouts.lockedFor(subjects, applicationID: applicationID, logger: logger) {
            throw TooManyRequests(
                retryAfter: max(1, seconds), code: "sign_in_locked",
                detail: "Too many failed sign-ins for this account or address.")
        }
        let user: User?
        do {
            user = try await check()
        } catch is TooManyHashes {
            throw TooManyRequests(retryAfter: 1, code: "busy", detail: "Too many sign-ins at once.")
        }
        guard let user else {
            try await self.lockouts.recordFailure(subjects, applicationID: applicationID, logger: logger)
            return nil
        }
        try await self.lockouts.clearAccount(subject, applicationID: applicationID, logger: logger)
        switch user.status {
        case .active:
            return user
        case .blocked:
            throw Problem(
                status: 403, code: "account_banned", title: "Forbidden",
                detail: "This account is banned" + (user.banReason.map { ": \($0)" } ?? "."))
        case .inactive:
            throw Problem(status: 403, code: "account_inactive", title: "Forbidden", detail: "This account is inactive.")
        }
    }

    /// Opens a session: first refresh token, last login time (with its `user.updated`), access token.
    private func open(_ user: User, origin: Origin, cookie: Bool, logger: Logger) async throws -> Issued {
        let refreshToken = SecretToken.refreshToken()
        let lifetime = TimeInterval(self.configuration.refreshTokenSeconds)
        let (sessionID, signedIn) = try await self.client.withTransaction(logger: logger) { connection in
            // The user row is locked first: the session's foreign key would otherwise take a
            // share lock on it before, and two sign-ins of one user would deadlock.
            let now = Date()
            let updated = try await self.users.update(user.id, applicationID: user.applicationID, on: connection, logger: logger) {
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

    /// Uses a refresh token: a new pair, or the end of the family on reuse.
    func refresh(_ token: String, logger: Logger) async throws -> Issued {
        let successor = SecretToken.refreshToken()
        let lifetime = TimeInterval(self.configuration.refreshTokenSeconds)
        let outcome: Result<(User, EntityID, Bool), Problem> = try await self.client.withTransaction(logger: logger) { connection in
            let presented = try await self.sessions.rotate(
                presentedHash: SecretToken.hash(token), successorHash: SecretToken.hash(successor), lifetime: lifetime, on: connection,
                logger: logger)
            switch presented {
            case .invalid:
                return .failure(
                    Problem(status: 401, code: "invalid_refresh_token", title: "Unauthorized", detail: "The refresh token is not valid."))
            case .reused:
                return .failure(
                    Problem(
                        status: 401, code: "refresh_token_reused", title: "Unauthorized",
                        detail: "The refresh token was already used; the session has been ended. Sign in again."))
            case .rotated(let sessionID, let userID, let applicationID, let cookie):
                let user = try await self.users.find(userID, applicationID: applicationID, logger: logger)
                let active = try await self.applications.isActive(applicationID, logger: logger)
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
