import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Applies the users service's `user.*` events (activity included) to the projection, and re-evaluates the user
/// against every dynamic group and segment in the same transaction, so their members stay
/// current without periodic recalculation.
struct UserEventConsumer: EventConsumer {
    let projection: UserProjectionRepository
    let members: RuleMembers

    var eventTypes: Set<EventType> { [.userCreated, .userUpdated, .userDeleted, .userActivity] }

    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws {
        switch event.type {
        case .userCreated, .userUpdated:
            let snapshot = try event.userSnapshot()
            try await self.projection.upsert(snapshot, version: event.version ?? 0, on: connection, logger: logger)
            try await self.members.refresh(
                users: [snapshot.id], after: event.type == .userCreated ? .created : .profile, applicationID: snapshot.applicationId,
                on: connection, logger: logger)
        case .userDeleted:
            // The user's row first, then the rules' owners: the order every other change takes them in.
            let lock: SQLFragment = """
                SELECT 1 FROM user_projection WHERE application_id = \(event.applicationId) AND user_id = \(event.subjectId) FOR UPDATE
                """
            try await connection.query(lock.query(), logger: logger)
            try await self.members.removeEverywhere(users: [event.subjectId], applicationID: event.applicationId, on: connection, logger: logger)
            try await self.projection.delete(event.subjectId, applicationID: event.applicationId, on: connection, logger: logger)
        case .userActivity:
            let activity = try event.decodePayload(as: UserActivity.self)
            if try await self.projection.applyActivity(
                activity, userID: event.subjectId, applicationID: event.applicationId, on: connection, logger: logger)
            {
                try await self.members.refresh(
                    users: [event.subjectId], after: .profile, applicationID: event.applicationId, on: connection, logger: logger)
            }
        default:
            break
        }
    }
}
