import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/me/notification-settings` (seed 004 get/update notifications) and
/// `/api/v1/users/{id}/notification-settings` (administrators, for any user).
struct SettingsController: Sendable {
    let settings: SettingsRepository
    let recipients: RecipientRepository

    func register(me: RouterGroup<RosterRequestContext>, user: RouterGroup<RosterRequestContext>) {
        me.get(use: self.mine)
        me.put(use: self.updateMine)
        me.patch(use: self.updateMine)
        user.get(use: self.users)
        user.put(use: self.updateUsers)
        user.patch(use: self.updateUsers)
    }

    @Sendable func mine(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        return try JSONResponses.json(
            try await self.settings.settings(userID: userID, applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func updateMine(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let (principal, userID) = try context.requireUser()
        let update = try await request.decodeJSON(as: NotificationSettingsUpdate.self, context: context)
        return try JSONResponses.json(
            try await self.settings.update(update, userID: userID, applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func users(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let userID = try context.requireID("user", parameter: "user")
        try await self.recipients.requireUser(userID, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(
            try await self.settings.settings(userID: userID, applicationID: principal.applicationID, logger: context.logger))
    }

    @Sendable func updateUsers(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let userID = try context.requireID("user", parameter: "user")
        let update = try await request.decodeJSON(as: NotificationSettingsUpdate.self, context: context)
        try await self.recipients.requireUser(userID, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(
            try await self.settings.update(update, userID: userID, applicationID: principal.applicationID, logger: context.logger))
    }
}
