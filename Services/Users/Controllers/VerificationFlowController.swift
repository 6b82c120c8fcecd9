import Crypto
import Foundation
import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// The flows that need a code, all on the users service's public API: confirm the email
/// (`REGR`), forgot/reset password (`RPWR`), change the email (`EMCH`) and verify the phone
/// (`PHON`). Codes are issued and checked by the verification service and delivered by the
/// notification service; every refused code is the same 422 `invalid_code`.
struct VerificationFlowController: Sendable {
    /// Codes one user may ask for in an hour (emails to new addresses, texts), over every type.
    static let sendsPerHour = 10
    let users: UserRepository
    let changes: AccountChanges
    let hasher: PasswordHasher
    let signIn: SignInService
    let verification: VerificationService
    let jobs: JobQueue
    let limiter: RateLimiter
    let authentication: AuthenticationMiddleware
    let applications: ApplicationRepository
    let configuration: UsersConfiguration

    func register(public open: RouterGroup<RosterRequestContext>, authenticated auth: RouterGroup<RosterRequestContext>, me: RouterGroup<RosterRequestContext>) {
        open.post("email/verify", use: self.verifyEmail)
        open.post("password/forgot", use: self.forgotPassword)
        open.post("password/reset", use: self.resetPassword)
        auth.post("email/verification", use: self.resendEmailCode)
        me.post("email", use: self.startEmailChange)
        me.post("email/verify", use: self.confirmEmailChange)
        me.post("phone/verification", use: self.sendPhoneCode)
        me.post("phone/verify", use: self.verifyPhone)
    }

    /// What confirming forms send: a 6-digit `code` (with the signed-in user, or with `email`)
    /// or the link's `token`.
    struct CodeInput: Decodable {
        var code: String?
        var token: String?
        var email: String?
        var applicationId: EntityID?
    }

    // MARK: - Email verification (REGR)

    /// `POST /api/v1/auth/email/verify`: marks the email verified (`user.updated` follows).
    @Sendable func verifyEmail(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: CodeInput.self, context: context)
        let principal = try? await self.authentication.principal(for: request)
        let applicationID = try await self.application(input.applicationId ?? principal?.applicationID, context: context)
        try await self.limit("verify", applicationID: applicationID, request: request, context: context)
        let secret = try Self.secret(code: input.code, token: input.token)
        var userID: EntityID?
        if secret.code != nil {
            if let principal, principal.applicationID == applicationID, let id = principal.userID {
                userID = id
            } else {
                userID = try await self.owner(of: Self.requiredEmail(input.email), applicationID: applicationID, logger: context.logger)
            }
        }
        guard
            let checked = try await self.verification.check(
                .registration, userID: userID, code: secret.code, token: secret.token, applicationID: applicationID)
        else { throw VerificationCodes.invalidCode }
        // The code confirms the address it went to, and only while it is still the user's.
        let user = try await self.users.update(checked.userId, applicationID: applicationID, logger: context.logger) { user in
            guard user.profile.email?.lowercased() == checked.destination.lowercased() else { throw VerificationCodes.invalidCode }
            user.emailVerified = true
        }
        guard let user, let email = user.profile.email else { throw VerificationCodes.invalidCode }
        return try JSONResponses.json(EmailVerified(userId: user.id, email: email, emailVerified: true))
    }

    /// The answer to a confirmed email.
    struct EmailVerified: Encodable {
        var userId: EntityID
        var email: String
        var emailVerified: Bool
    }

    /// `POST /api/v1/auth/email/verification`: a new code for the signed-in user's unverified email.
    @Sendable func resendEmailCode(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        guard let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw MeController.gone
        }
        guard let email = user.profile.email else { throw Self.missing("email", "The account has no email address.") }
        guard !user.emailVerified else { throw Problem.conflict("The email address is already verified.", code: "already_verified") }
        return try await self.sendOwn(.registration, to: email, userID: userID, applicationID: principal.applicationID, request, context)
    }

    /// A code on its way (never the code itself).
    struct CodeSent: Encodable {
        var requestId: EntityID
        var type: VerificationCodes.Kind
        var expiresAt: Date

        init(_ issued: VerificationCodes.Issued) {
            self.requestId = issued.id
            self.type = issued.type
            self.expiresAt = issued.expiresAt
        }
    }

    // MARK: - Password reset (RPWR)

    /// `POST /api/v1/auth/password/forgot`: always 202 with the same body, whether or not an
    /// account has the email; the code is asked for by a job either way.
    @Sendable func forgotPassword(_ request: Request, context: RosterRequestContext) async throws -> Response {
        struct Body: Decodable {
            var email: String
            var applicationId: EntityID?
        }
        let input = try await request.decodeJSON(as: Body.self, context: context)
        var errors: [Problem.FieldError] = []
        let email = UserRules.email(input.email, errors: &errors)
        try UserRules.check(errors)
        let applicationID = try await self.application(input.applicationId, context: context)
        try await self.limit("forgot", applicationID: applicationID, request: request, context: context)
        _ = try await self.jobs.enqueue(
            kind: VerificationRequestJob.kind, applicationID: applicationID, payload: VerificationRequestJob.passwordReset(email ?? input.email),
            maxAttempts: VerificationRequestJob.maxAttempts, logger: context.logger)
        return try JSONResponses.json(ResetRequested(), status: .accepted)
    }

    /// The one answer to a forgotten password, whoever asks.
    struct ResetRequested: Encodable {
        var status = "accepted"
        var detail = "If an account has this email, a code to reset its password is on its way."
    }

    /// `POST /api/v1/auth/password/reset`: `{email, code}` or `{token}`, and `password`. Sets the
    /// password and ends every session of the account.
    @Sendable func resetPassword(_ request: Request, context: RosterRequestContext) async throws -> Response {
        struct Body: Decodable {
            var code: String?
            var token: String?
            var email: String?
            var password: String
            var applicationId: EntityID?
        }
        let input = try await request.decodeJSON(as: Body.self, context: context)
        var errors: [Problem.FieldError] = []
        let password = UserRules.password(input.password, errors: &errors)
        try UserRules.check(errors)
        let applicationID = try await self.application(input.applicationId, context: context)
        try await self.limit("reset", applicationID: applicationID, request: request, context: context)
        let secret = try Self.secret(code: input.code, token: input.token)
        // Hashed first, so a right and a wrong code take the same time.
        let hash = try await self.hasher.hash(password!)
        let userID =
            secret.code == nil
            ? nil : try await self.owner(of: Self.requiredEmail(input.email), applicationID: applicationID, logger: context.logger)
        guard
            let checked = try await self.verification.check(
                .passwordReset, userID: userID, code: secret.code, token: secret.token, applicationID: applicationID)
        else { throw VerificationCodes.invalidCode }
        // Only while the code's address is still the account's (it may have changed since).
        let changed = try await self.changes.change(
            checked.userId, applicationID: applicationID, passwordHash: hash, logger: context.logger,
            endSessions: { _, _ in "password_reset" },
            change: { user in
                guard user.profile.email?.lowercased() == checked.destination.lowercased() else { throw VerificationCodes.invalidCode }
            })
        guard changed != nil else { throw VerificationCodes.invalidCode }
        return try JSONResponses.json(PasswordReset())
    }

    /// A password set by a reset code.
    struct PasswordReset: Encodable {
        var status = "password_reset"
    }

    // MARK: - Email change (EMCH)

    /// `POST /api/v1/me/email` `{email, password}`: a code to the new address; the email changes
    /// when it is confirmed. The current password is needed when the account has one.
    @Sendable func startEmailChange(_ request: Request, context: RosterRequestContext) async throws -> Response {
        struct Body: Decodable {
            var email: String
            var password: String?
        }
        let (principal, userID) = try context.requireUser()
        let input = try await request.decodeJSON(as: Body.self, context: context)
        var errors: [Problem.FieldError] = []
        let email = UserRules.email(input.email, errors: &errors)
        try UserRules.check(errors)
        guard let email, let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw MeController.gone
        }
        if user.hasPassword {
            let origin = SignInService.Origin(address: context.clientAddress(request), userAgent: request.headers[.userAgent])
            guard try await self.signIn.checkPassword(of: user, input.password ?? "", origin: origin, logger: context.logger) else {
                throw Problem(status: 403, code: "invalid_credentials", title: "Forbidden", detail: "The current password is not right.")
            }
        }
        guard email.lowercased() != user.profile.email?.lowercased() else {
            throw Problem.validation("This is already the account's email.", errors: [.init(field: "email", code: "unchanged", message: "is the current email")])
        }
        if try await self.users.owner(ofEmail: email, applicationID: principal.applicationID, logger: context.logger) != nil {
            throw Problem.conflict("Another account has this email.", code: "email_taken")
        }
        return try await self.sendOwn(.emailChange, to: email, userID: userID, applicationID: principal.applicationID, request, context)
    }

    /// `POST /api/v1/me/email/verify` `{code}` or `{token}`: the new address replaces the old one, verified.
    @Sendable func confirmEmailChange(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.confirmOwn(.emailChange, request, context) { user, checked in
            user.profile.email = checked.destination
            user.emailVerified = true
        }
    }

    // MARK: - Phone verification (PHON)

    /// `POST /api/v1/me/phone/verification`: a code by text message to the user's phone.
    @Sendable func sendPhoneCode(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        guard let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw MeController.gone
        }
        guard let phone = user.profile.phone else { throw Self.missing("phone", "The account has no phone number; set one first.") }
        guard !user.phoneVerified else { throw Problem.conflict("The phone number is already verified.", code: "already_verified") }
        return try await self.sendOwn(.phone, to: phone, userID: userID, applicationID: principal.applicationID, request, context)
    }

    /// `POST /api/v1/me/phone/verify` `{code}`: the phone number is verified while it is still the one the code went to.
    @Sendable func verifyPhone(_ request: Request, context: RosterRequestContext) async throws -> Response {
        try await self.confirmOwn(.phone, request, context) { user, checked in
            guard user.profile.phone == checked.destination else { throw VerificationCodes.invalidCode }
            user.phoneVerified = true
        }
    }

    // MARK: - Helpers

    /// Checks a code of the signed-in user's own and applies it to them: the updated user.
    private func confirmOwn(
        _ type: VerificationCodes.Kind, _ request: Request, _ context: RosterRequestContext,
        apply: @escaping @Sendable (inout User, VerificationCodes.Checked) throws -> Void
    ) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let input = try await request.decodeJSON(as: CodeInput.self, context: context)
        try await self.limit("verify", applicationID: principal.applicationID, request: request, context: context)
        let secret = try Self.secret(code: input.code, token: input.token)
        guard
            let checked = try await self.verification.check(
                type, userID: userID, code: secret.code, token: secret.token, applicationID: principal.applicationID),
            checked.userId == userID
        else { throw VerificationCodes.invalidCode }
        let user = try await self.users.update(userID, applicationID: principal.applicationID, logger: context.logger) {
            try apply(&$0, checked)
        }
        guard let user else { throw MeController.gone }
        return try JSONResponses.json(UserResponse(user))
    }

    /// Sends the signed-in user a code of `type` to `destination` (cool-down applies): 202.
    /// A user asks for at most `sendsPerHour` codes an hour, whatever the addresses.
    private func sendOwn(
        _ type: VerificationCodes.Kind, to destination: String, userID: EntityID, applicationID: EntityID, _ request: Request,
        _ context: RosterRequestContext
    ) async throws -> Response {
        try await self.limiter.hit("code-send:\(applicationID):\(userID)", limit: Self.sendsPerHour, window: 3600, logger: context.logger)
        let issued = try await self.verification.issue(
            type, userID: userID, applicationID: applicationID, destination: destination,
            idempotencyKey: try self.key(request, userID: userID, type: type, destination: destination), cooldown: true)
        return try JSONResponses.json(CodeSent(issued), status: .accepted)
    }

    /// Exactly one of a 6-digit code and a link token (checked for shape only).
    private static func secret(code: String?, token: String?) throws -> (code: String?, token: String?) {
        switch (code, token) {
        case (let code?, nil):
            guard VerificationCodes.isCode(code) else {
                throw Problem.validation("The code is 6 digits.", errors: [.init(field: "code", code: "invalid_value", message: "must be 6 digits")])
            }
            return (code, nil)
        case (nil, let token?):
            guard (1...VerificationCodes.maxTokenLength).contains(token.utf8.count) else {
                throw Problem.validation(
                    "The token is not valid.",
                    errors: [.init(field: "token", code: "invalid_value", message: "1 to \(VerificationCodes.maxTokenLength) characters")])
            }
            return (nil, token)
        default:
            throw Problem.validation(
                "Send the code or the link's token.", errors: [.init(field: "code", code: "required", message: "give exactly one of code and token")])
        }
    }

    private static func requiredEmail(_ email: String?) throws -> String {
        guard let email, !email.isEmpty, email.utf8.count <= 254 else {
            throw Problem.validation(
                "Send the email the code went to (or sign in).", errors: [.init(field: "email", code: "required", message: "is required with a code")])
        }
        return email
    }

    /// The user with `email`, or a fresh id nobody has: an unknown email is checked like a known
    /// one and refused the same way.
    private func owner(of email: String, applicationID: EntityID, logger: Logger) async throws -> EntityID {
        try await self.users.owner(ofEmail: email, applicationID: applicationID, logger: logger) ?? .generate()
    }

    /// Counts a code request or guess against the client's address.
    private func limit(_ action: String, applicationID: EntityID, request: Request, context: RosterRequestContext) async throws {
        try await self.limiter.hit(
            "\(action):\(applicationID):\(context.clientAddress(request))", limit: self.configuration.loginPerMinute, window: 60,
            logger: context.logger)
    }

    /// The request's `Idempotency-Key` (or a fresh one) in the user's, type's and address's own
    /// namespace, hashed to a fixed length: the same key for another address issues anew.
    private func key(_ request: Request, userID: EntityID, type: VerificationCodes.Kind, destination: String) throws -> String {
        let client = try IdempotencyKey.read(request) ?? EntityID.generate().description
        let digest = SHA256.hash(data: Data("\(destination.lowercased())\n\(client)".utf8))
        return "request/\(userID)/\(type.rawValue)/" + Hex.encode(Data(digest))
    }

    private static func missing(_ field: String, _ detail: String) -> Problem {
        Problem.validation(detail, errors: [.init(field: field, code: "required", message: "is not set")])
    }

    private func application(_ id: EntityID?, context: RosterRequestContext) async throws -> EntityID {
        try await self.applications.signInApplication(id, logger: context.logger)
    }
}
