import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Keeps the known users from the users service's `user.*` events and erases a deleted user's requests.
struct UserEventConsumer: EventConsumer {
    let users: KnownUserRepository

    var eventTypes: Set<EventType> { [.userCreated, .userUpdated, .userDeleted] }

    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws {
        switch event.type {
        case .userCreated, .userUpdated:
            try await self.users.upsert(event.userSnapshot(), version: event.version ?? 0, on: connection, logger: logger)
        case .userDeleted:
            try await self.users.erase(event.subjectId, applicationID: event.applicationId, on: connection, logger: logger)
        default:
            break
        }
    }
}
