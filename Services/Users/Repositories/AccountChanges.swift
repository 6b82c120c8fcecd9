import Logging
import RosterProtocol
import RosterRuntime

/// Changes a user and, when the change calls for it, ends their sessions — in one transaction,
/// so no session outlives a ban, a new password or a new type (tokens carry the type).
struct AccountChanges: Sendable {
    let users: UserRepository
    let sessions: SessionRepository

    /// Applies `change`; `endSessions` looks at the user before and after and names the reason
    /// to end their sessions (all but `keeping`), or returns `nil` to keep them. `nil` when
    /// there is no such user.
    func change(
        _ id: EntityID, applicationID: EntityID, passwordHash: String? = nil, keeping: EntityID? = nil, logger: Logger,
        endSessions: @Sendable (_ before: User, _ after: User) -> String?, change: @Sendable (inout User) throws -> Void
    ) async throws -> User? {
        try await self.users.client.withTransaction(logger: logger) { connection in
            guard let before = try await self.users.find(id, applicationID: applicationID, on: connection, logger: logger),
                let after = try await self.users.update(
                    id, applicationID: applicationID, passwordHash: passwordHash, on: connection, logger: logger, change: change)
            else { return nil }
            if let reason = endSessions(before, after) {
                try await self.sessions.revokeAll(
                    userID: id, applicationID: applicationID, keeping: keeping, reason: reason, on: connection, logger: logger)
            }
            return after
        }
    }
}
