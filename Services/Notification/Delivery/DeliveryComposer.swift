import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// Turns a delivery job into what is sent: the recipient's address and the rendered template
/// (email, SMS), or the JSON body of a webhook request.
struct DeliveryComposer: Sendable {
    let templates: TemplateRepository
    let recipients: RecipientRepository
    let broadcasts: BroadcastRepository
    let keys: SealingKeys

    /// A message ready to go, or why it is not sent at all.
    enum Prepared: Sendable {
        case ready(to: String, content: TemplateRenderer.Rendered)
        case skip(String)
    }

    func message(_ payload: DeliveryPayload, applicationID: EntityID, logger: Logger) async throws -> Prepared {
        var contact: RecipientRepository.Contact?
        if let userID = payload.userID { contact = try await self.recipients.contact(userID, applicationID: applicationID, logger: logger) }
        var variables: [String: JSONValue]
        let codes: [String]
        if let broadcastID = payload.broadcastID {
            guard contact != nil else { return .skip("the user was deleted") }
            guard let broadcast = try await self.broadcasts.message(broadcastID, applicationID: applicationID, logger: logger) else {
                return .skip("the broadcast is gone")
            }
            variables = [
                "title": .string(broadcast.title), "message": .string(broadcast.message), "type": .string(broadcast.type),
                "data": broadcast.data,
            ]
            // A template named after the type overrides the general one.
            codes = [broadcast.type, BuiltInTemplates.notification.code]
        } else {
            guard let template = payload.template, let sealed = payload.sealedVariables, let messageID = payload.messageID,
                case .object(let opened) = self.keys.openJSON(
                    sealed, context: DeliveryPayload.sealingContext(applicationID: applicationID, messageID: messageID))
            else { throw DeliveryError.unreadableVariables }
            variables = opened
            codes = [template]
        }
        if let userID = payload.userID, let contact { variables["user"] = contact.variables(userID: userID) }
        let stored = payload.to ?? (payload.channel == .sms ? contact?.phone : contact?.email)
        // Checked again: a stored address may predate today's rules.
        let address = stored.flatMap { payload.channel == .sms ? PhoneNumber.normalize($0) : EmailAddress.normalize($0) }
        if stored != nil, address == nil { return .skip("the address is not valid") }
        guard let address else {
            // A direct message to a user notification has not heard of yet (their creation
            // event is on its way): retry later.
            if payload.userID != nil, contact == nil { throw DeliveryError.unknownUser }
            return .skip(payload.channel == .sms ? "the user has no phone number" : "the user has no email address")
        }
        guard let template = try await self.templates.resolve(codes, applicationID: applicationID, logger: logger) else {
            return .skip("there is no template \(codes[0])")
        }
        return .ready(to: address, content: try TemplateRenderer.render(template, variables: .object(variables)))
    }

    /// The JSON a webhook receives for a broadcast's notification; `nil` when it is not to be sent.
    func webhookBody(_ payload: DeliveryPayload, deliveryID: EntityID, createdAt: Date, applicationID: EntityID, logger: Logger)
        async throws -> Data?
    {
        guard let broadcastID = payload.broadcastID, let userID = payload.userID,
            try await self.recipients.contact(userID, applicationID: applicationID, logger: logger) != nil,
            let broadcast = try await self.broadcasts.message(broadcastID, applicationID: applicationID, logger: logger)
        else { return nil }
        let body: JSONValue = [
            "id": .string(deliveryID.description), "event": "notification", "type": .string(broadcast.type),
            "broadcastId": .string(broadcastID.description), "userId": .string(userID.description), "title": .string(broadcast.title),
            "message": .string(broadcast.message), "data": broadcast.data, "createdAt": .string(RosterJSON.formatTimestamp(createdAt)),
        ]
        return try RosterJSON.makeEncoder().encode(body)
    }
}

/// A delivery that cannot go now; the queue retries it.
enum DeliveryError: Error, CustomStringConvertible {
    case unknownUser
    case unreadableVariables

    var description: String {
        switch self {
        case .unknownUser: "the user is not known to the notification service yet"
        case .unreadableVariables: "the message's sealed variables cannot be opened (is its key still in encryption.keys?)"
        }
    }
}
