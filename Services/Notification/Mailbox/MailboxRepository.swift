import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The dev mailbox. Subjects and bodies are sealed at rest (they can carry one-time codes);
/// administrators read them opened.
struct MailboxRepository: Sendable {
    let client: PostgresClient
    let keys: SealingKeys

    static let listSpec = ListQuerySpec(
        sortFields: ["createdAt": .init(column: "created_at", type: .timestamp)],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["to": .string, "channel": .choice(["email", "sms"])])

    static let columns: SQLFragment = "id, delivery_id, channel, recipient, content_sealed, key_id, created_at"

    /// Keeps the message of a delivery once, however often the delivery runs.
    func store(deliveryID: EntityID, applicationID: EntityID, channel: DeliveryChannel, to: String, content: TemplateRenderer.Rendered,
        logger: Logger) async throws
    {
        let (sealed, keyID) = try self.keys.seal(
            try JSONEncoder().encode(content), context: Self.context(applicationID: applicationID, deliveryID: deliveryID))
        let insert: SQLFragment = """
            INSERT INTO mailbox (application_id, id, delivery_id, channel, recipient, content_sealed, key_id)
            VALUES (\(applicationID), \(EntityID.generate()), \(deliveryID), \(channel.rawValue), \(to), decode(\(sealed.base64EncodedString()), 'base64'), \(keyID))
            ON CONFLICT (application_id, delivery_id) DO NOTHING
            """
        try await self.client.query(insert.query(), logger: logger)
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<MailboxMessage> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let to) = query.filter("to") { conditions.append("lower(recipient) = lower(\(to))") }
        if case .string(let channel) = query.filter("channel") { conditions.append("channel = \(channel)") }
        return try await query.load(
            Self.columns, from: "mailbox", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: { try await self.decode($0, applicationID: applicationID) })
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> MailboxMessage? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM mailbox WHERE application_id = \(applicationID) AND id = \(id)"
        return try await self.decode(self.client.query(select.query(), logger: logger), applicationID: applicationID).first
    }

    /// Empties the application's mailbox.
    func clear(applicationID: EntityID, logger: Logger) async throws {
        let delete: SQLFragment = "DELETE FROM mailbox WHERE application_id = \(applicationID)"
        try await self.client.query(delete.query(), logger: logger)
    }

    private static func context(applicationID: EntityID, deliveryID: EntityID) -> Data {
        Data("notification.mailbox/\(applicationID)/\(deliveryID)".utf8)
    }

    private func decode(_ rows: PostgresRowSequence, applicationID: EntityID) async throws -> [MailboxMessage] {
        var messages: [MailboxMessage] = []
        for try await (id, deliveryID, channel, to, sealed, keyID, created) in rows.decode(
            (EntityID, EntityID, String, String, ByteBuffer, String, Date).self)
        {
            // A message whose key is no longer configured is listed as unreadable, not a 500.
            let content =
                (try? self.keys.open(
                    Data(sealed.readableBytesView), keyID: keyID, context: Self.context(applicationID: applicationID, deliveryID: deliveryID)))
                .flatMap { try? JSONDecoder().decode(TemplateRenderer.Rendered.self, from: $0) }
                ?? TemplateRenderer.Rendered(subject: "", text: "(unreadable: sealed with key \(keyID), which is no longer configured)", html: nil)
            messages.append(
                MailboxMessage(
                    id: id, deliveryId: deliveryID, channel: DeliveryChannel(rawValue: channel) ?? .email, to: to,
                    subject: channel == "sms" ? nil : content.subject, text: content.text, html: content.html, createdAt: created))
        }
        return messages
    }
}
