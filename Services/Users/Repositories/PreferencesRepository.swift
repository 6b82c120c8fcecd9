import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Users' preferences, kept as JSON beside the user row (the language is the user's column).
struct PreferencesRepository: Sendable {
    let client: PostgresClient
    let users: UserRepository

    func preferences(of userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> Preferences? {
        let select: SQLFragment = """
            SELECT language, preferences::text FROM users WHERE application_id = \(applicationID) AND id = \(userID)
            """
        guard let (language, json) = try await self.client.query(select.query(), logger: logger).decode((String?, String).self)
            .first(where: { _ in true })
        else { return nil }
        let stored = (try? JSONDecoder().decode(Preferences.Stored.self, from: Data(json.utf8))) ?? Preferences.Stored()
        return Preferences(
            language: language, categories: stored.categories ?? [], networks: stored.networks ?? [],
            privacy: stored.privacy ?? .defaults)
    }

    /// Replaces the preferences; a language, when given, goes through the user update (and
    /// its event); without one the current language stays.
    func replace(_ preferences: Preferences, of userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> Preferences? {
        let stored = Preferences.Stored(categories: preferences.categories, networks: preferences.networks, privacy: preferences.privacy)
        let json = String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
        let updated = try await self.client.withTransaction(logger: logger) { connection in
            let user = try await self.users.update(userID, applicationID: applicationID, on: connection, logger: logger) {
                if let language = preferences.language { $0.profile.language = language }
            }
            guard user != nil else { return false }
            try await connection.query(
                "UPDATE users SET preferences = \(json)::jsonb WHERE application_id = \(applicationID) AND id = \(userID)", logger: logger)
            return true
        }
        return updated ? try await self.preferences(of: userID, applicationID: applicationID, logger: logger) : nil
    }
}
