import Foundation
import RosterProtocol
import RosterRuntime

/// A kind of notification an application sends (seed 004: `new_campaign`, `update_balance`,
/// ...): users turn it on or off per channel unless it is `critical`.
struct NotificationType: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    /// Stable identifier used in sends and settings: lowercase letters, digits and `_`.
    var code: String
    var name: String
    var description: String?
    /// Whether a user who never chose receives it.
    var defaultEnabled: Bool
    var channels: [Channel]
    /// Critical types reach every user on every channel they allow; settings cannot turn them off.
    var critical: Bool
    var createdAt: Date
    var updatedAt: Date

    func sortValue(for field: String) -> String? {
        switch field {
        case "code": self.code
        case "name": self.name
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        default: nil
        }
    }
}
