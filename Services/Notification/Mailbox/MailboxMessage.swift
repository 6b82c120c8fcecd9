import Foundation
import RosterProtocol
import RosterRuntime

/// A message kept in the dev mailbox: an email when no SMTP server is configured, or a text
/// message (no SMS provider yet), as it would have been sent.
struct MailboxMessage: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var deliveryId: EntityID
    var channel: DeliveryChannel
    var to: String
    var subject: String?
    var text: String
    var html: String?
    var createdAt: Date

    func sortValue(for field: String) -> String? {
        field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
    }
}
