import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The users notification can address, kept from the users service's events.
struct RecipientRepository: Sendable {
    let client: PostgresClient

    /// Stores a snapshot in the caller's (inbox) transaction.
    func upsert(_ snapshot: UserSnapshot, version: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let upsert: SQLFragment = """
            INSERT INTO recipients (application_id, user_id, email, phone, first_name, last_name, language, type, status, version)
            VALUES (\(snapshot.applicationId), \(snapshot.id), \(snapshot.email), \(snapshot.phone), \(snapshot.firstName),
                \(snapshot.lastName), \(snapshot.language), \(snapshot.type), \(snapshot.status), \(version))
            ON CONFLICT (application_id, user_id) DO UPDATE SET
                email = EXCLUDED.email, phone = EXCLUDED.phone, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                language = EXCLUDED.language, type = EXCLUDED.type, status = EXCLUDED.status, version = EXCLUDED.version
            """
        try await connection.query(upsert.query(), logger: logger)
    }

    /// Erases the user and everything notification holds about them, in the caller's (inbox) transaction.
    func erase(_ userID: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws {
        for table in ["notifications", "notification_settings", "recipients"] {
            let delete: SQLFragment = "DELETE FROM \(identifier: table) WHERE application_id = \(applicationID) AND user_id = \(userID)"
            try await connection.query(delete.query(), logger: logger)
        }
    }

    /// What a message may say about a user and where it can reach them.
    struct Contact: Sendable {
        var email: String?
        var phone: String?
        var firstName: String?
        var lastName: String?
        var language: String?

        /// The `user` variable of templates (no phone: SMS texts do not need it).
        func variables(userID: EntityID) -> JSONValue {
            var user: [String: JSONValue] = ["id": .string(userID.description)]
            user["email"] = self.email.map(JSONValue.string)
            user["firstName"] = self.firstName.map(JSONValue.string)
            user["lastName"] = self.lastName.map(JSONValue.string)
            user["language"] = self.language.map(JSONValue.string)
            return .object(user)
        }
    }

    /// The user's contact details, or `nil` when notification knows no such user (yet, or any more).
    func contact(_ userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> Contact? {
        let select: SQLFragment = """
            SELECT email, phone, first_name, last_name, language FROM recipients WHERE application_id = \(applicationID) AND user_id = \(userID)
            """
        for try await (email, phone, first, last, language) in try await self.client.query(select.query(), logger: logger).decode(
            (String?, String?, String?, String?, String?).self)
        {
            return Contact(email: email, phone: phone, firstName: first, lastName: last, language: language)
        }
        return nil
    }

    /// Throws 404 unless the user exists in the application.
    func requireUser(_ userID: EntityID, applicationID: EntityID, logger: Logger) async throws {
        let select: SQLFragment = "SELECT 1 FROM recipients WHERE application_id = \(applicationID) AND user_id = \(userID)"
        guard try await !self.client.query(select.query(), logger: logger).collect().isEmpty else {
            throw Problem.notFound("No user \(userID) in this application.")
        }
    }
}
