import Foundation
import RosterProtocol
import RosterRuntime

/// One notification in a user's inbox (seed 004's notification history).
struct InboxNotification: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var userId: EntityID
    /// The notification type's code.
    var type: String
    var title: String
    var message: String
    var data: JSONValue
    var read: Bool
    var readAt: Date?
    var createdAt: Date
    /// The send it came from.
    var broadcastId: EntityID?

    func sortValue(for field: String) -> String? {
        field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
    }
}
