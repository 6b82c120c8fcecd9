import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/auth`: register (queuing the email's verification code), sign in (password, login
/// token), refresh, sign out, CSRF, session check, back-end credential validation, email
/// availability, lockouts. The code flows are in `VerificationFlowController`.
struct AuthController: Sendable {
    let signIn: SignInService
    let users: UserRepository
    let sessions: SessionRepository
    let lockouts: LockoutRepository
    let applications: ApplicationRepository
    let hasher: PasswordHasher
    let limiter: RateLimiter
    let authentication: AuthenticationMiddleware
    let csrf: CSRFTokens
    let jobs: JobQueue
    let configuration: UsersConfiguration

    func register(public open: RouterGroup<RosterRequestContext>, authenticated: RouterGroup<RosterRequestContext>) {
        open.post("register", use: self.registerUser)
        open.post("login", use: self.login)
        open.post("login/token", use: self.loginWithToken)
        open.post("refresh", use: self.refresh)
        open.get("session", use: self.session)
        open.post("email-availability", use: self.emailAvailability)
        open.post("logout", use: self.logout)
        authenticated.post("logout-all", use: self.logoutAll)
        authenticated.get("csrf", use: self.csrfToken)
        authenticated.post("validate", use: self.validate)
        authenticated.get("lockouts", use: self.listLockouts)
        authenticated.delete("lockouts/:id", use: self.clearLockout)
    }

    @Sendable func registerUser(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: RegisterRequest.self, context: context)
        let applicationID = try await self.application(input.applicationId, context: context)
        try await self.limiter.hit(
            "register:\(applicationID):\(context.clientAddress(request))", limit: self.configuration.loginPerMinute, window: 60,
            logger: context.logger)
        let fields = input.fields
        let extra = fields.present(outside: UserInput.selfEditable.union([.password]))
        guard extra.isEmpty else { throw Self.notEditable(extra) }
        var errors: [Problem.FieldError] = []
        if fields.email.value == nil { errors.append(.init(field: "email", code: "required", message: "is required")) }
        if fields.password.value == nil { errors.append(.init(field: "password", code: "required", message: "is required")) }
        try UserRules.check(errors)
        let validated = try ValidatedUserInput(fields)
        let hash = try await self.hasher.hash(validated.password!)
        var user = UserFactory.new(applicationID: applicationID, type: .user)
        validated.apply(to: &user, mode: .patch)
        let jobs = self.jobs
        let logger = context.logger
        // The email's verification code is asked for by a job queued with the account: it
        // cannot be lost, nor delay the registration.
        let created = try await self.users.create(user, passwordHash: hash, logger: logger) { created, connection in
            _ = try await jobs.enqueue(
                kind: VerificationRequestJob.kind, applicationID: created.applicationID, payload: VerificationRequestJob.registration(created.id),
                maxAttempts: VerificationRequestJob.maxAttempts, on: connection, logger: logger)
        }
        return try JSONResponses.created(UserResponse(created), location: "/api/v1/users/\(created.id)")
    }

    @Sendable func login(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: SignInRequest.self, context: context)
        let account = try input.account()
        let applicationID = try await self.application(input.applicationId, context: context)
        let issued = try await self.signIn.signIn(
            identifier: account, password: input.password, applicationID: applicationID, origin: self.origin(request, context),
            cookie: input.mode == .cookie, logger: context.logger)
        return try self.respond(issued)
    }

    @Sendable func loginWithToken(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: TokenSignInRequest.self, context: context)
        guard (1...128).contains(input.token.unicodeScalars.count) else {
            throw Problem.validation("token is not valid.", errors: [.init(field: "token", code: "invalid_value", message: "1 to 128 characters")])
        }
        let applicationID = try await self.application(input.applicationId, context: context)
        let issued = try await self.signIn.signIn(
            userID: input.userId, token: input.token, applicationID: applicationID, origin: self.origin(request, context),
            cookie: input.mode == .cookie, logger: context.logger)
        return try self.respond(issued)
    }

    @Sendable func refresh(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let fromBody = try await request.decodeJSONIfPresent(as: RefreshRequest.self, context: context)?.refreshToken
        let fromCookie = SessionCookies.value(SessionCookies.refresh, in: request.headers)
        guard let token = fromBody ?? fromCookie, (1...256).contains(token.count) else {
            throw Problem.validation(
                "Send the refresh token.", errors: [.init(field: "refreshToken", code: "required", message: "is required")])
        }
        // A refresh by cookie is a browser request that changes state: it needs the CSRF token
        // of the session the refresh token belongs to (the access cookie may have expired).
        let header = request.headers[.csrfToken]
        let csrf = self.csrf
        let byCookie = fromBody == nil
        let issued = try await self.signIn.refresh(
            token, accepts: { session in !byCookie || header.map { csrf.isValid($0, for: session) } ?? false }, logger: context.logger)
        return try self.respond(issued)
    }

    /// Ends the current session: the one of the access token, or — for a browser whose access
    /// cookie has expired — the one of the refresh cookie, with its CSRF token.
    @Sendable func logout(_ request: Request, context: RosterRequestContext) async throws -> Response {
        if let principal = try await self.authentication.principal(for: request) {
            guard let userID = principal.userID else { throw Problem.forbidden("API keys have no session to end.") }
            if let session = principal.sessionID {
                _ = try await self.sessions.revoke(
                    session, userID: userID, applicationID: principal.applicationID, reason: "logout", logger: context.logger)
            }
            return self.signedOut()
        }
        guard let token = SessionCookies.value(SessionCookies.refresh, in: request.headers),
            let session = try await self.sessions.session(ofRefreshToken: SecretToken.hash(token), logger: context.logger)
        else { throw Problem.unauthorized("Send Authorization: Bearer <access token>, or the session cookies.") }
        guard let header = request.headers[.csrfToken], self.csrf.isValid(header, for: session.sessionID) else {
            throw Problem.csrfInvalid
        }
        _ = try await self.sessions.revoke(
            session.sessionID, userID: session.userID, applicationID: session.applicationID, reason: "logout", logger: context.logger)
        return self.signedOut()
    }

    @Sendable func logoutAll(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        try await self.sessions.revokeAll(userID: userID, applicationID: principal.applicationID, reason: "logout_all", logger: context.logger)
        return self.signedOut()
    }

    @Sendable func csrfToken(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, _) = try context.requireUser()
        guard let session = principal.sessionID else { throw Problem.forbidden("This token belongs to no session.") }
        return try JSONResponses.json(CSRFResponse(csrfToken: self.csrf.token(for: session)))
    }

    /// Never a 401: no or invalid credentials answer `isAuthenticated: false`.
    @Sendable func session(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal: Principal?
        do {
            principal = try await self.authentication.principal(for: request)
        } catch let problem as Problem where problem.status == 401 || problem.status == 403 {
            principal = nil
        }
        guard let principal else {
            return try JSONResponses.json(SessionCheckResponse.anonymous)
        }
        var response = SessionCheckResponse(
            isAuthenticated: true, applicationId: principal.applicationID, userId: principal.userID, isStaff: principal.isStaff,
            isAdmin: principal.isAdmin, isSuperuser: principal.isSuperuser, sessionId: principal.sessionID)
        if let userID = principal.userID {
            guard let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
                return try JSONResponses.json(SessionCheckResponse.anonymous)
            }
            response.username = user.profile.username
            response.type = user.type.rawValue
        }
        return try JSONResponses.json(response)
    }

    /// For back-ends holding an API key: is this password right? Counted like a sign-in, against
    /// the end user's address when the back-end passes it, else against the key.
    @Sendable func validate(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        guard case .apiKey(let keyID, _) = principal.credential else {
            throw Problem.forbidden("Credential validation is for back-ends with an API key.")
        }
        let input = try await request.decodeJSON(as: ValidateRequest.self, context: context)
        guard let account = input.email ?? input.username ?? input.identifier, !account.isEmpty, account.unicodeScalars.count <= 254 else {
            throw Problem.validation(
                "Give email, username or identifier.",
                errors: [.init(field: "email", code: "required", message: "email, username or identifier is required")])
        }
        if let address = input.clientAddress, address.isEmpty || address.utf8.count > 64 {
            throw Problem.validation(
                "clientAddress is not valid.", errors: [.init(field: "clientAddress", code: "invalid_value", message: "1 to 64 characters")])
        }
        let origin = SignInService.Origin(address: input.clientAddress ?? "key:\(keyID)", userAgent: request.headers[.userAgent])
        let user = try await self.signIn.validate(
            identifier: account, password: input.password, applicationID: principal.applicationID, origin: origin, logger: context.logger)
        return try JSONResponses.json(ValidateResponse(valid: user != nil, userId: user?.id))
    }

    /// Rate-limited; the answer has the same shape for everyone, `userId` is filled for staff only.
    @Sendable func emailAvailability(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: EmailAvailabilityRequest.self, context: context)
        var errors: [Problem.FieldError] = []
        let valid = UserRules.email(input.email, errors: &errors)
        try UserRules.check(errors)
        let email = valid ?? input.email
        let caller = try? await self.authentication.principal(for: request)
        let applicationID = try await self.application(input.applicationId ?? caller?.applicationID, context: context)
        try await self.limiter.hit(
            "email-check:\(applicationID):\(context.clientAddress(request))", limit: self.configuration.emailCheckPerMinute, window: 60,
            logger: context.logger)
        let owner = try await self.users.owner(ofEmail: email, applicationID: applicationID, logger: context.logger)
        let staff = caller.map { $0.isStaff && $0.applicationID == applicationID } ?? false
        return try JSONResponses.json(EmailAvailabilityResponse(email: email, available: owner == nil, userId: staff ? owner : nil))
    }

    @Sendable func listLockouts(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: LockoutRepository.listSpec)
        let page = try await self.lockouts.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func clearLockout(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("lockout")
        guard try await self.lockouts.clear(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No lockout \(id) in this application.")
        }
        return JSONResponses.noContent()
    }

    // MARK: - Helpers

    private func application(_ id: EntityID?, context: RosterRequestContext) async throws -> EntityID {
        try await self.applications.signInApplication(id, logger: context.logger)
    }

    private func origin(_ request: Request, _ context: RosterRequestContext) -> SignInService.Origin {
        SignInService.Origin(address: context.clientAddress(request), userAgent: request.headers[.userAgent])
    }

    /// Tokens in the body, or cookies and a CSRF token in browser mode.
    private func respond(_ issued: SignInService.Issued) throws -> Response {
        guard issued.cookie else {
            return try JSONResponses.json(
                TokenResponse(
                    accessToken: issued.accessToken, expiresIn: issued.expiresIn, refreshToken: issued.refreshToken,
                    refreshExpiresIn: issued.refreshExpiresIn, sessionId: issued.sessionID, user: UserResponse(issued.user)))
        }
        var headers = HTTPFields()
        headers.append(
            HTTPField(
                name: .setCookie,
                value: SessionCookies.setCookie(
                    SessionCookies.access, value: issued.accessToken, path: "/", maxAge: issued.expiresIn,
                    sameSite: self.configuration.cookieSameSite)))
        headers.append(
            HTTPField(
                name: .setCookie,
                value: SessionCookies.setCookie(
                    SessionCookies.refresh, value: issued.refreshToken, path: "/api/v1/auth", maxAge: issued.refreshExpiresIn,
                    sameSite: self.configuration.cookieSameSite)))
        return try JSONResponses.json(
            CookieSessionResponse(
                sessionId: issued.sessionID, expiresIn: issued.expiresIn, csrfToken: self.csrf.token(for: issued.sessionID),
                user: UserResponse(issued.user)),
            headers: headers)
    }

    /// 204, clearing the browser-mode cookies (harmless for token clients).
    private func signedOut() -> Response {
        var headers = HTTPFields()
        for (name, path) in [(SessionCookies.access, "/"), (SessionCookies.refresh, "/api/v1/auth")] {
            headers.append(
                HTTPField(
                    name: .setCookie,
                    value: SessionCookies.setCookie(name, value: "", path: path, maxAge: 0, sameSite: self.configuration.cookieSameSite)))
        }
        return Response(status: .noContent, headers: headers)
    }

    static func notEditable(_ fields: [UserInput.CodingKeys]) -> Problem {
        Problem.validation(
            "These fields cannot be set here: \(fields.map(\.rawValue).joined(separator: ", ")).",
            errors: fields.map { .init(field: $0.rawValue, code: "not_editable", message: "cannot be set here") })
    }
}
