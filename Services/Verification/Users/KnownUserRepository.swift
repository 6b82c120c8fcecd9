import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The users verification can address, kept from the users service's events (admin resends
/// and admin-made requests are answered from here), and their profile copied onto their requests.
struct KnownUserRepository: Sendable {
    let client: PostgresClient

    /// A user as verification knows them.
    struct KnownUser: Sendable {
        var id: EntityID
        var email: String?
        var phone: String?
        var emailVerified: Bool
    }

    /// Takes the transaction-scoped lock of each user, in the given order. Issuing a request and
    /// applying a user's event both hold it, so a request inserted while the event runs still
    /// gets the profile: one of the two always sees the other's committed rows.
    static func lock(_ users: [EntityID], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        let keys = users.map { "verification.user:\(applicationID):\($0)" }
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(\(keys)::text[]) AS k", logger: logger)
    }

    /// Stores a snapshot and refreshes the user's requests, in the caller's (inbox) transaction.
    func upsert(_ snapshot: UserSnapshot, version: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await Self.lock([snapshot.id], applicationID: snapshot.applicationId, on: connection, logger: logger)
        let upsert: SQLFragment = """
            INSERT INTO known_users (application_id, user_id, email, phone, username, first_name, last_name, email_verified, version)
            VALUES (\(snapshot.applicationId), \(snapshot.id), \(snapshot.email), \(snapshot.phone), \(snapshot.username),
                \(snapshot.firstName), \(snapshot.lastName), \(snapshot.emailVerified), \(version))
            ON CONFLICT (application_id, user_id) DO UPDATE SET
                email = EXCLUDED.email, phone = EXCLUDED.phone, username = EXCLUDED.username, first_name = EXCLUDED.first_name,
                last_name = EXCLUDED.last_name, email_verified = EXCLUDED.email_verified, version = EXCLUDED.version
            """
        try await connection.query(upsert.query(), logger: logger)
        let name = [snapshot.firstName, snapshot.lastName].compactMap { $0 }.joined(separator: " ")
        let fullName: String? = name.isEmpty ? nil : name
        // One statement: the requests get the user's current profile (list filters and sorts),
        // and a code sent to an address the user no longer has stops working (say, a reset code
        // in a mailbox the user just moved away from) — only codes older than this version of
        // the user, so a late event cannot cancel a code sent to the newer address.
        let stale: SQLFragment = """
            (status = 'active' AND created_at < \(snapshot.updatedAt)
                AND ((type_code IN ('REGR', 'RPWR') AND lower(destination) IS DISTINCT FROM lower(\(snapshot.email)))
                    OR (type_code = 'PHON' AND destination IS DISTINCT FROM \(snapshot.phone))))
            """
        let refresh: SQLFragment = """
            UPDATE verification_requests SET email = \(snapshot.email), username = \(snapshot.username), full_name = \(fullName),
                status = CASE WHEN \(stale) THEN 'superseded' ELSE status END
            WHERE application_id = \(snapshot.applicationId) AND user_id = \(snapshot.id)
                AND (\(stale) OR (email, username, full_name) IS DISTINCT FROM (\(snapshot.email), \(snapshot.username), \(fullName)))
            """
        try await connection.query(refresh.query(), logger: logger)
    }

    /// Erases the user and their requests, in the caller's (inbox) transaction.
    func erase(_ userID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        try await Self.lock([userID], applicationID: applicationID, on: connection, logger: logger)
        for table in ["verification_requests", "known_users"] {
            let delete: SQLFragment = "DELETE FROM \(identifier: table) WHERE application_id = \(applicationID) AND user_id = \(userID)"
            try await connection.query(delete.query(), logger: logger)
        }
    }

    /// The users having these emails (compared case-insensitively), by lower-cased email.
    func byEmail(_ emails: [String], applicationID: EntityID, logger: Logger) async throws -> [String: KnownUser] {
        let select: SQLFragment = """
            SELECT lower(email), user_id, email, phone, email_verified FROM known_users
            WHERE application_id = \(applicationID) AND lower(email) = ANY(\(emails.map { $0.lowercased() }))
            """
        var users: [String: KnownUser] = [:]
        for try await (key, id, email, phone, verified) in try await self.client.query(select.query(), logger: logger).decode(
            (String, EntityID, String?, String?, Bool).self)
        {
            users[key] = KnownUser(id: id, email: email, phone: phone, emailVerified: verified)
        }
        return users
    }

    /// The users among `ids`, by id.
    func byID(_ ids: [EntityID], applicationID: EntityID, logger: Logger) async throws -> [EntityID: KnownUser] {
        let select: SQLFragment = """
            SELECT user_id, email, phone, email_verified FROM known_users WHERE application_id = \(applicationID) AND user_id = ANY(\(ids))
            """
        var users: [EntityID: KnownUser] = [:]
        for try await (id, email, phone, verified) in try await self.client.query(select.query(), logger: logger).decode(
            (EntityID, String?, String?, Bool).self)
        {
            users[id] = KnownUser(id: id, email: email, phone: phone, emailVerified: verified)
        }
        return users
    }
}
