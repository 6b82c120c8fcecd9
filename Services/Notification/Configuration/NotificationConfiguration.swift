import RosterRuntime

/// The notification service's own settings.
struct NotificationConfiguration: Sendable {
    /// Whether an application gets seed 004's seven notification types on first use.
    var exampleTypes: Bool
    /// Attempts of one delivery before it is dead-lettered.
    var deliveryAttempts: Int
    /// Delivery jobs one process runs at once, in their own worker.
    var deliveryConcurrency: Int
    /// Whether webhooks may reach loopback, private and link-local addresses.
    var webhookPrivateNetworks: Bool
    /// Seal message variables, dev-mailbox contents and webhook secrets at rest.
    var keys: SealingKeys
    /// The SMTP server, or `nil`: emails then go to the dev mailbox.
    var smtp: SMTPSettings?

    init(reader: SettingsReader) throws {
        self.exampleTypes = try reader.int(.notificationExampleTypes, in: 0...1) == 1
        self.deliveryAttempts = try reader.int(.deliveryAttempts, in: 1...100)
        self.deliveryConcurrency = try reader.int(.deliveryConcurrency, in: 1...64)
        self.webhookPrivateNetworks = try reader.int(.webhookPrivateNetworks, in: 0...1) == 1
        self.keys = try SealingKeys(keyList: reader.string(.encryptionKeys))
        self.smtp = try SMTPSettings(reader: reader)
    }
}
