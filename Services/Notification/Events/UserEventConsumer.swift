import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Keeps the recipients table from the users service's `user.*` events and erases a deleted
/// user's settings and notifications.
struct UserEventConsumer: EventConsumer {
    let recipients: RecipientRepository

    var eventTypes: Set<EventType> { [.userCreated, .userUpdated, .userDeleted] }

    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws {
        switch event.type {
        case .userCreated, .userUpdated:
            let snapshot = try event.userSnapshot()
            try await self.recipients.upsert(snapshot, version: event.version ?? 0, on: connection, logger: logger)
        case .userDeleted:
            try await self.recipients.erase(event.subjectId, applicationID: event.applicationId, on: connection, logger: logger)
        default:
            break
        }
    }
}
