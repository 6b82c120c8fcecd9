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
            INSERT INTO user_projection (application_id, user_id, email, phone, username, first_name, last_name, type, status,
                language, timezone, country, city, department, sex, birth_date, email_verified, phone_verified, last_login_at,
                last_activity_at, version, created_at, updated_at)
            VALUES (\(snapshot.applicationId), \(snapshot.id), \(snapshot.email), \(snapshot.phone), \(snapshot.username),
                \(snapshot.firstName), \(snapshot.lastName), \(snapshot.type), \(snapshot.status), \(snapshot.language),
                \(snapshot.timezone), \(snapshot.country), \(snapshot.city), \(snapshot.department), \(snapshot.sex),
                \(snapshot.birthDate)::date, \(snapshot.emailVerified), \(snapshot.phoneVerified),
                \(snapshot.lastLoginAt.map(RosterJSON.formatTimestamp))::timestamptz,
                \(snapshot.lastActivityAt.map(RosterJSON.formatTimestamp))::timestamptz, \(version),
                \(RosterJSON.formatTimestamp(snapshot.createdAt))::timestamptz, \(RosterJSON.formatTimestamp(snapshot.updatedAt))::timestamptz)
            ON CONFLICT (application_id, user_id) DO UPDATE SET
                email = EXCLUDED.email, phone = EXCLUDED.phone, username = EXCLUDED.username, first_name = EXCLUDED.first_name,
                last_name = EXCLUDED.last_name, type = EXCLUDED.type, status = EXCLUDED.status, language = EXCLUDED.language,
                timezone = EXCLUDED.timezone, country = EXCLUDED.country, city = EXCLUDED.city, department = EXCLUDED.department,
                sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date, email_verified = EXCLUDED.email_verified,
                phone_verified = EXCLUDED.phone_verified, last_login_at = EXCLUDED.last_login_at,
                last_activity_at = EXCLUDED.last_activity_at, version = EXCLUDED.version, created_at = EXCLUDED.created_at,
                updated_at = EXCLUDED.updated_at, projected_at = now()
            """
        try await connection.query(upsert.query(), logger: logger)
    }

    /// Sets the user's engagement counters from a `user.activity` event, unless a later
    /// activity was applied already (or the user is unknown); whether anything changed.
    func applyActivity(_ activity: UserActivity, userID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws -> Bool
    {
        let update: SQLFragment = """
            UPDATE user_projection SET messages_sent = \(activity.messagesSent), messages_received = \(activity.messagesReceived),
                visits = \(activity.visits), engagement_score = \(activity.engagementScore),
                last_activity_at = \(RosterJSON.formatTimestamp(activity.lastActivityAt))::timestamptz,
                activity_version = \(activity.activityVersion), projected_at = now()
            WHERE application_id = \(applicationID) AND user_id = \(userID) AND activity_version < \(activity.activityVersion)
            RETURNING 1
            """
        return try await !connection.query(update.query(), logger: logger).collect().isEmpty
    }

    /// Erases the user in the caller's (inbox) transaction.
    func delete(_ userID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "DELETE FROM user_projection WHERE application_id = \(applicationID) AND user_id = \(userID)", logger: logger)
    }

    /// Throws 404 unless the projection knows the user (in the application).
    func requireUser(_ userID: EntityID, applicationID: EntityID, logger: Logger) async throws {
        let select: SQLFragment = "SELECT 1 FROM user_projection WHERE application_id = \(applicationID) AND user_id = \(userID)"
        guard try await !self.client.query(select.query(), logger: logger).collect().isEmpty else {
            throw Self.unknownUser(userID)
        }
    }

    static func unknownUser(_ id: EntityID) -> Problem {
        .notFound("No user \(id) in this application's audience.")
    }

    func find(_ userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> ProjectedUser? {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM user_projection p WHERE p.application_id = \(applicationID) AND p.user_id = \(userID)
            """
        for try await row in try await self.client.query(select.query(), logger: logger) { return try Self.user(from: row) }
        return nil
    }

    /// The columns `user(from:)` reads, of the projection aliased `p`.
    static let columns: SQLFragment = """
        p.user_id, p.application_id, p.email, p.phone, p.username, p.first_name, p.last_name, p.type, p.status, p.language, \
        p.timezone, p.country, p.city, p.department, p.sex, to_char(p.birth_date, 'YYYY-MM-DD'), p.email_verified, \
        p.phone_verified, p.last_login_at, p.last_activity_at, p.version, p.created_at, p.updated_at, p.projected_at
        """

    static func user(from row: PostgresRow) throws -> ProjectedUser {
        let (
            id, applicationID, email, phone, username, firstName, lastName, type, status, language, timezone, country, city, department,
            sex, birthDate, emailVerified, phoneVerified, lastLoginAt, lastActivityAt, version, createdAt, updatedAt, projectedAt
        ) = try row.decode(
            (
                EntityID, EntityID, String?, String?, String?, String?, String?, String, String, String?, String?, String?, String?,
                String?, String?, String?, Bool, Bool, Date?, Date?, Int64, Date, Date, Date
            ).self)
        let snapshot = UserSnapshot(
            id: id, applicationId: applicationID, email: email, phone: phone, username: username, firstName: firstName,
            lastName: lastName, type: type, status: status, language: language, timezone: timezone, country: country, city: city,
            department: department, sex: sex, birthDate: birthDate, emailVerified: emailVerified, phoneVerified: phoneVerified,
            lastLoginAt: lastLoginAt, lastActivityAt: lastActivityAt, createdAt: createdAt, updatedAt: updatedAt)
        return ProjectedUser(snapshot: snapshot, version: version, projectedAt: projectedAt)
    }
}
