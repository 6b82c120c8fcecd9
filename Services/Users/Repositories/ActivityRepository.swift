import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Records users' activity (seed 000 engagement): counters, last activity, the engagement
/// score, and a `user.activity` event in the same transaction.
///
/// The score is `100 × (1 − e^(−points / 100))` with `points = 2 × messagesSent +
/// messagesReceived + 5 × visits`: 0 for a user who did nothing, 63 at 100 points, 95 at 300,
/// approaching 100 — so it orders users by activity and stays in 0…100.
struct ActivityRepository: Sendable {
    let client: PostgresClient
    let outbox: Outbox

    /// Adds the counts to the user's counters; `nil` when there is no such user.
    func record(
        userID: EntityID, applicationID: EntityID, messagesSent: Int64, messagesReceived: Int64, visits: Int64, logger: Logger
    ) async throws -> UserActivity? {
        try await self.client.withTransaction(logger: logger) { connection in
            let update: SQLFragment = """
                UPDATE users SET messages_sent = messages_sent + \(messagesSent), messages_received = messages_received + \(messagesReceived),
                    visits = visits + \(visits),
                    engagement_score = 100 * (1 - exp(-((messages_sent + \(messagesSent)) * 2 + messages_received + \(messagesReceived)
                        + (visits + \(visits)) * 5) / 100.0)),
                    last_activity_at = now_ms(), activity_version = activity_version + 1
                WHERE application_id = \(applicationID) AND id = \(userID)
                RETURNING messages_sent, messages_received, visits, engagement_score, last_activity_at, activity_version
                """
            let rows = try await connection.query(update.query(), logger: logger).decode((Int64, Int64, Int64, Double, Date, Int64).self)
            guard let (sent, received, visited, score, last, version) = try await rows.first(where: { _ in true }) else { return nil }
            let activity = UserActivity(
                messagesSent: sent, messagesReceived: received, visits: visited, engagementScore: score, lastActivityAt: last,
                activityVersion: version)
            let event = try self.outbox.event(.userActivity, applicationID: applicationID, subjectID: userID, version: nil, payload: activity)
            try await self.outbox.append([event], on: connection, logger: logger)
            return activity
        }
    }
}
