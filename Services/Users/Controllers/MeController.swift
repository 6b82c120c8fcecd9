import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/me`: the signed-in user's own profile, language, preferences, sessions, password.
struct MeController: Sendable {
    let users: UserRepository
    let preferences: PreferencesRepository
    let sessions: SessionRepository
    let changes: AccountChanges
    let hasher: PasswordHasher
    let signIn: SignInService
    /// Asks the notification service for the settings shown with the preferences.
    let internalClient: InternalClient

    static let emailNeedsConfirmation = Problem.validation(
        "A new email takes effect once confirmed: POST /api/v1/me/email sends it a code.",
        errors: [.init(field: "email", code: "confirmation_required", message: "change it with POST /api/v1/me/email")])

    /// The signed-in user's token outlived the account.
    static let gone = Problem.notFound("The signed-in user no longer exists.")

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.get)
        group.patch(use: self.update)
        group.put("language", use: self.setLanguage)
        group.get("preferences", use: self.getPreferences)
        group.put("preferences", use: self.setPreferences)
        group.get("sessions", use: self.listSessions)
        group.delete("sessions/:id", use: self.revokeSession)
        group.post("password", use: self.changePassword)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        guard let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.gone
        }
        return try JSONResponses.json(UserResponse(user))
    }

    /// Own profile fields only; a changed phone is no longer verified. The email changes only
    /// through its confirmation (`POST /api/v1/me/email`); sending the current one is fine.
    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let input = try await request.decodeJSON(as: UserInput.self, context: context)
        let extra = input.present(outside: UserInput.selfEditable)
        guard extra.isEmpty else { throw AuthController.notEditable(extra) }
        let validated = try ValidatedUserInput(input)
        let user = try await self.users.update(userID, applicationID: principal.applicationID, logger: context.logger) {
            let email = $0.profile.email
            validated.apply(to: &$0, mode: .patch)
            guard $0.profile.email?.lowercased() == email?.lowercased() else { throw Self.emailNeedsConfirmation }
        }
        guard let user else { throw Self.gone }
        return try JSONResponses.json(UserResponse(user))
    }

    /// Seed 004 update language.
    @Sendable func setLanguage(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        struct Body: Decodable { var language: String }
        let body = try await request.decodeJSON(as: Body.self, context: context)
        var errors: [Problem.FieldError] = []
        let language = UserRules.language(body.language, errors: &errors)
        try UserRules.check(errors)
        let user = try await self.users.update(userID, applicationID: principal.applicationID, logger: context.logger) {
            $0.profile.language = language
        }
        guard let user else { throw Self.gone }
        return try JSONResponses.json(UserResponse(user))
    }

    @Sendable func getPreferences(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        guard let preferences = try await self.preferences.preferences(of: userID, applicationID: principal.applicationID, logger: context.logger)
        else { throw Self.gone }
        return try JSONResponses.json(
            await PreferencesView.composing(
                preferences, userID: userID, applicationID: principal.applicationID, notification: self.internalClient, logger: context.logger))
    }

    @Sendable func setPreferences(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let input = try await request.decodeJSON(as: Preferences.self, context: context).validated()
        guard let stored = try await self.preferences.replace(input, of: userID, applicationID: principal.applicationID, logger: context.logger)
        else { throw Self.gone }
        return try JSONResponses.json(
            await PreferencesView.composing(
                stored, userID: userID, applicationID: principal.applicationID, notification: self.internalClient, logger: context.logger))
    }

    @Sendable func listSessions(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let query = try ListQueryParser.parse(request, spec: SessionRepository.listSpec)
        let page = try await self.sessions.list(
            query, userID: userID, applicationID: principal.applicationID, current: principal.sessionID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func revokeSession(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let id = try context.requireID("session")
        guard try await self.sessions.revoke(id, userID: userID, applicationID: principal.applicationID, reason: "revoked", logger: context.logger)
        else { throw Problem.notFound("No session \(id) of yours.") }
        return JSONResponses.noContent()
    }

    /// Needs the current password; ends every other session of the user.
    @Sendable func changePassword(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let input = try await request.decodeJSON(as: PasswordChangeRequest.self, context: context)
        var errors: [Problem.FieldError] = []
        let newPassword = UserRules.password(input.newPassword, errors: &errors, field: "newPassword")
        try UserRules.check(errors)
        guard let user = try await self.users.find(userID, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.gone
        }
        let origin = SignInService.Origin(address: context.clientAddress(request), userAgent: request.headers[.userAgent])
        guard try await self.signIn.checkPassword(of: user, input.currentPassword, origin: origin, logger: context.logger) else {
            throw Problem(
                status: 403, code: "invalid_credentials", title: "Forbidden", detail: "The current password is not right.",
                errors: [.init(field: "currentPassword", code: "invalid_credentials", message: "does not match")])
        }
        let hash = try await self.hasher.hash(newPassword!)
        _ = try await self.changes.change(
            userID, applicationID: principal.applicationID, passwordHash: hash, keeping: principal.sessionID, logger: context.logger,
            endSessions: { _, _ in "password_changed" }, change: { _ in })
        return JSONResponses.noContent()
    }

}
