import Foundation
import Hummingbird
import Logging
import RosterProtocol
import RosterRuntime

/// Administrators' actions on one user: ban, status summary, force logout, sessions,
/// convert to lead, login token.
struct UserAdminController: Sendable {
    let users: UserRepository
    let sessions: SessionRepository
    let changes: AccountChanges

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post(":id/ban", use: self.ban)
        group.delete(":id/ban", use: self.unban)
        group.get(":id/status", use: self.status)
        group.post(":id/force-logout", use: self.forceLogout)
        group.get(":id/sessions", use: self.listSessions)
        group.post(":id/convert-to-lead", use: self.convertToLead)
        group.post(":id/login-token", use: self.newLoginToken)
    }

    /// Blocks sign-in, ends every session, emits `user.updated` — in one transaction.
    @Sendable func ban(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        let input = try await request.decodeJSON(as: BanRequest.self, context: context)
        let reason = input.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else {
            throw Problem.validation("reason is required.", errors: [.init(field: "reason", code: "invalid_value", message: "1 to 500 characters")])
        }
        let banned = try await self.changes.change(
            id, applicationID: principal.applicationID, logger: context.logger, endSessions: { _, _ in "banned" },
            change: {
                $0.status = .blocked
                $0.banReason = reason
            })
        guard let banned else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(banned))
    }

    @Sendable func unban(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        let user = try await self.users.update(id, applicationID: principal.applicationID, logger: context.logger) {
            if $0.status == .blocked { $0.status = .active }
            $0.banReason = nil
        }
        guard let user else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(user))
    }

    @Sendable func status(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let id = try context.requireID("user")
        guard let user = try await self.users.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        return try JSONResponses.json(
            UserStatusResponse(
                status: user.status.rawValue, banReason: user.banReason, joinedAt: user.createdAt, lastLoginAt: user.lastLoginAt,
                lastActivityAt: user.lastActivityAt))
    }

    @Sendable func forceLogout(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        guard try await self.users.find(id, applicationID: principal.applicationID, logger: context.logger) != nil else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        let count = try await self.sessions.revokeAll(
            userID: id, applicationID: principal.applicationID, reason: "forced_logout", logger: context.logger)
        return try JSONResponses.json(ForceLogoutResponse(revokedSessions: count))
    }

    @Sendable func listSessions(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        guard try await self.users.find(id, applicationID: principal.applicationID, logger: context.logger) != nil else {
            throw Problem.notFound("No user \(id) in this application.")
        }
        let query = try ListQueryParser.parse(request, spec: SessionRepository.listSpec)
        let page = try await self.sessions.list(query, userID: id, applicationID: principal.applicationID, current: nil, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func convertToLead(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        let user = try await self.changes.change(
            id, applicationID: principal.applicationID, logger: context.logger,
            endSessions: { before, after in after.type != before.type ? "credentials_changed" : nil }, change: { $0.type = .lead })
        guard let user else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(UserResponse(user))
    }

    /// A new seed-003 login token (the old one stops working); stored hashed, shown once.
    @Sendable func newLoginToken(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("user")
        let token = SecretToken.loginToken()
        guard try await self.users.setLoginToken(id, applicationID: principal.applicationID, hash: SecretToken.hash(token), logger: context.logger)
        else { throw Problem.notFound("No user \(id) in this application.") }
        return try JSONResponses.json(LoginTokenResponse(userId: id, token: token), status: .created)
    }
}
