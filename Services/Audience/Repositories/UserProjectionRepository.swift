import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The user projection: written by events, read by audience's APIs and rules.
struct UserProjectionRepository: Sendable {
    let client: PostgresClient

    /// Stores a snapshot in the caller's (inbox) transaction.
    func upsert(_ snapshot: UserSnapshot, version: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let upsert: SQLFragment = """
            INSERT INTO user_projection (application_id, user_id, email, first_name, last_name, type, status, version, created_at, updated_at)
            VALUES (\(snapshot.applicationId), \(snapshot.id), \(snapshot.email), \(snapshot.firstName), \(snapshot.lastName),
                    \(snapshot.type), \(snapshot.status), \(version),
                    \(RosterJSON.formatTimestamp(snapshot.createdAt))::timestamptz, \(RosterJSON.formatTimestamp(snapshot.updatedAt))::timestamptz)
            ON CONFLICT (application_id, user_id) DO UPDATE SET
                email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                type = EXCLUDED.type, status = EXCLUDED.status, version = EXCLUDED.version,
                created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, projected_at = now()
            """
        try await connection.query(upsert.query(), logger: logger)
    }

    /// Erases the user in the caller's (inbox) transaction.
    func delete(_ userID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "DELETE FROM user_projection WHERE application_id = \(applicationID) AND user_id = \(userID)", logger: logger)
    }

    func find(_ userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> ProjectedUser? {
        let rows = try await self.client.query(
            """
            SELECT user_id, email, first_name, last_name, type, status, version, created_at, updated_at, projected_at
            FROM user_projection WHERE application_id = \(applicationID) AND user_id = \(userID)
            """, logger: logger)
        for try await (id, email, firstName, lastName, type, status, version, createdAt, updatedAt, projectedAt) in rows.decode(
            (EntityID, String?, String?, String?, String, String, Int64, Date, Date, Date).self)
        {
            return ProjectedUser(
                id: id, email: email, firstName: firstName, lastName: lastName, type: type, status: status, version: version,
                createdAt: createdAt, updatedAt: updatedAt, projectedAt: projectedAt)
        }
        return nil
    }
}
