/// The four Roster services; one name per service everywhere (folder, product, schema, role, upstream).
public enum ServiceName: String, Codable, Sendable, CaseIterable {
    case users
    case audience
    case verification
    case notification

    /// The executable product, e.g. `roster-users`.
    public var productName: String { "roster-\(self.rawValue)" }
}
