import Foundation
import RosterProtocol
import RosterRuntime

/// The channels a delivery job uses (in-app notifications are written directly, not delivered).
enum DeliveryChannel: String, Codable, Sendable, CaseIterable {
    case email, sms, webhook
}

/// What a delivery job carries in its payload: the channel and recipient, and either the
/// broadcast whose message it delivers or a template with its variables (a direct message,
/// e.g. from verification). Variables are sealed: they can hold one-time codes.
struct DeliveryPayload: Sendable {
    var channel: DeliveryChannel
    var userID: EntityID?
    /// An explicit address (email or phone); otherwise the user's, read when delivering.
    var to: String?
    var broadcastID: EntityID?
    var template: String?
    /// `SealingKeys.sealJSON` of the variables, bound to `messageID`.
    var sealedVariables: JSONValue?
    var messageID: EntityID?

    init(channel: DeliveryChannel, userID: EntityID?, to: String?, template: String, sealedVariables: JSONValue, messageID: EntityID) {
        self.channel = channel
        self.userID = userID
        self.to = to
        self.template = template
        self.sealedVariables = sealedVariables
        self.messageID = messageID
    }

    init?(_ json: JSONValue) {
        guard case .object(let object) = json, let channel = object["channel"]?.stringValue.flatMap(DeliveryChannel.init(rawValue:))
        else { return nil }
        self.channel = channel
        self.userID = object["userId"]?.stringValue.flatMap(EntityID.init)
        self.to = object["to"]?.stringValue
        self.broadcastID = object["broadcastId"]?.stringValue.flatMap(EntityID.init)
        self.template = object["template"]?.stringValue
        self.sealedVariables = object["variables"]
        self.messageID = object["messageId"]?.stringValue.flatMap(EntityID.init)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["channel": .string(self.channel.rawValue)]
        object["userId"] = self.userID.map { .string($0.description) }
        object["to"] = self.to.map(JSONValue.string)
        object["broadcastId"] = self.broadcastID.map { .string($0.description) }
        object["template"] = self.template.map(JSONValue.string)
        object["variables"] = self.sealedVariables
        object["messageId"] = self.messageID.map { .string($0.description) }
        return .object(object)
    }

    /// What the variables of message `messageID` of an application are sealed for.
    static func sealingContext(applicationID: EntityID, messageID: EntityID) -> String {
        "notification.message/\(applicationID)/\(messageID)"
    }
}
