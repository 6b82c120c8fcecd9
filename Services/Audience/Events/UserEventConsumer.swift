import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// An event whose payload contradicts its envelope; it is refused, never applied.
enum EventConsumerError: Error {
    case inconsistent(EntityID)
}

/// Applies the users service's `user.*` events to the projection.
struct UserEventConsumer: EventConsumer {
    let projection: UserProjectionRepository

    var eventTypes: Set<EventType> { [.userCreated, .userUpdated, .userDeleted] }

    func apply(_ event: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws {
        switch event.type {
        case .userCreated, .userUpdated:
            let snapshot = try event.decodePayload(as: UserSnapshot.self)
            guard snapshot.id == event.subjectId, snapshot.applicationId == event.applicationId else {
                throw EventConsumerError.inconsistent(event.id)
            }
            try await self.projection.upsert(snapshot, version: event.version ?? 0, on: connection, logger: logger)
        case .userDeleted:
            try await self.projection.delete(event.subjectId, applicationID: event.applicationId, on: connection, logger: logger)
        default:
            break
        }
    }
}
