import RosterRuntime

/// The notification service's own settings.
struct NotificationConfiguration: Sendable {
    /// Whether an application gets seed 004's seven notification types on first use.
    var exampleTypes: Bool

    init(reader: SettingsReader) throws {
        self.exampleTypes = try reader.int(.notificationExampleTypes, in: 0...1) == 1
    }
}
