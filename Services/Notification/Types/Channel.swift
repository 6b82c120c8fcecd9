/// A way a notification reaches a user. Only `in_app` (the inbox) is delivered so far;
/// types and settings already name the others, so a catalog does not change when they come.
enum Channel: String, Codable, Sendable, CaseIterable {
    case inApp = "in_app"
    case email
    case webhook

    /// Channels a send may use today.
    static let deliverable: Set<Channel> = [.inApp]
}
