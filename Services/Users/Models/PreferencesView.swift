import Logging
import RosterProtocol
import RosterRuntime

/// `/api/v1/me/preferences` as answered: the preferences users keeps, and the notification
/// settings per type and channel from the notification service (seed 004 shows them together).
/// `notifications` is `null` when the notification service cannot answer; the rest still is.
struct PreferencesView: Encodable, Sendable {
    var preferences: Preferences
    var notifications: JSONValue?

    enum CodingKeys: String, CodingKey { case notifications }

    func encode(to encoder: any Encoder) throws {
        try self.preferences.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.notifications ?? .null, forKey: .notifications)
    }

    /// The view with the user's notification settings fetched (one internal call, no retry).
    static func composing(
        _ preferences: Preferences, userID: EntityID, applicationID: EntityID, notification: InternalClient, logger: Logger
    ) async -> PreferencesView {
        do {
            let settings = try await notification.call(
                .notification, .GET, NotificationSettingsLookup.path(applicationID: applicationID, userID: userID), idempotent: true,
                retries: 0, as: JSONValue.self)
            return PreferencesView(preferences: preferences, notifications: settings)
        } catch {
            logger.warning("notification settings unavailable for the preferences view", metadata: ["error": "\(error)"])
            return PreferencesView(preferences: preferences, notifications: nil)
        }
    }
}
