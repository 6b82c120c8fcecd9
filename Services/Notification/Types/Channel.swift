/// A way a notification reaches a user: the in-app inbox (written by the fan-out itself), or
/// an email or webhook request (queued by the fan-out as deliveries).
enum Channel: String, Codable, Sendable, CaseIterable {
    case inApp = "in_app"
    case email
    case webhook
}
