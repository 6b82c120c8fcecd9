import Foundation
import RosterProtocol
import RosterRuntime

/// A message template: the subject, plain text and optional HTML of an email (or the text of
/// an SMS), in mustache, addressed by its code (`verification_code`, `notification`, ...).
struct MessageTemplate: Codable, Sendable, KeysetPageable {
    var id: EntityID
    var code: String
    var name: String
    var description: String?
    var subject: String
    var text: String
    var html: String?
    /// True for the built-in templates that apply while the application has none with their code.
    var builtIn: Bool
    var createdAt: Date
    var updatedAt: Date

    func sortValue(for field: String) -> String? {
        switch field {
        case "code": self.code
        case "name": self.name.lowercased()
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        default: nil
        }
    }
}
