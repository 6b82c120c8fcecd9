import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Users' notification settings, per type and channel.
struct SettingsRepository: Sendable {
    let client: PostgresClient
    let types: NotificationTypeRepository

    func settings(userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> NotificationSettings {
        let catalog = try await self.types.all(applicationID: applicationID, logger: logger)
        let select: SQLFragment = """
            SELECT type_id, channel, enabled FROM notification_settings WHERE application_id = \(applicationID) AND user_id = \(userID)
            """
        var choices: [EntityID: [Channel: Bool]] = [:]
        for try await (typeID, channel, enabled) in try await self.client.query(select.query(), logger: logger).decode(
            (EntityID, String, Bool).self)
        {
            if let channel = Channel(rawValue: channel) { choices[typeID, default: [:]][channel] = enabled }
        }
        return NotificationSettings(userID: userID, types: catalog, choices: choices)
    }

    /// Stores the update's choices (all or none) and answers the settings as they are now.
    func update(_ update: NotificationSettingsUpdate, userID: EntityID, applicationID: EntityID, logger: Logger) async throws
        -> NotificationSettings
    {
        let rows = try update.rows(types: try await self.types.all(applicationID: applicationID, logger: logger))
        if !rows.isEmpty {
            // A type deleted meanwhile: its rows refer to nothing, and the foreign key refuses them (409).
            let upsert: SQLFragment = """
                INSERT INTO notification_settings (application_id, user_id, type_id, channel, enabled)
                SELECT \(applicationID), \(userID), t.type_id, t.channel, t.enabled
                FROM unnest(\(rows.map(\.typeID)), \(rows.map(\.channel.rawValue)), \(rows.map(\.enabled))) AS t(type_id, channel, enabled)
                ON CONFLICT (application_id, user_id, type_id, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now_ms()
                """
            try await self.client.query(upsert.query(), logger: logger)
        }
        return try await self.settings(userID: userID, applicationID: applicationID, logger: logger)
    }
}
