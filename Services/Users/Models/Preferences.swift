import Foundation
import RosterProtocol

/// A user's preferences (seed 004): language, interest categories, social networks, privacy.
///
/// Notification settings live in the notification service (`/api/v1/me/notification-settings`).
struct Preferences: Codable, Sendable, Equatable {
    /// Mirrors the user's `language`.
    var language: String?
    var categories: [String]
    var networks: [String]
    var privacy: Privacy

    /// Which parts of the profile others may see.
    struct Privacy: Codable, Sendable, Equatable {
        var profilePublic: Bool
        var showEarnings: Bool
        var showCampaigns: Bool

        static let defaults = Privacy(profilePublic: true, showEarnings: false, showCampaigns: true)
    }

    /// What is stored in `users.preferences` (the language is the user's column).
    struct Stored: Codable, Sendable {
        var categories: [String]?
        var networks: [String]?
        var privacy: Privacy?
    }

    /// Checks lengths and counts; all failures together as one 422.
    func validated() throws -> Preferences {
        var errors: [Problem.FieldError] = []
        var copy = self
        copy.language = UserRules.language(self.language, errors: &errors)
        for (field, values) in [("categories", self.categories), ("networks", self.networks)] {
            if values.count > 50 || values.contains(where: { $0.isEmpty || $0.count > 50 || $0.contains("\u{0}") }) {
                errors.append(.init(field: field, code: "invalid_value", message: "at most 50 entries of 1 to 50 characters"))
            }
        }
        copy.categories = Self.deduplicated(self.categories)
        copy.networks = Self.deduplicated(self.networks)
        try UserRules.check(errors)
        return copy
    }

    private static func deduplicated(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
