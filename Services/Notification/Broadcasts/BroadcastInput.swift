import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// The body of `POST /broadcasts` and `POST /notifications`: a message of a notification type
/// and exactly one target — `userId`, `userIds`, `groupId`, `segmentId` or `"all": true`.
struct BroadcastInput: Decodable, Sendable {
    var type: String
    var title: String
    var message: String
    var data: JSONValue?
    var channels: [String]?
    var userId: String?
    var userIds: [String]?
    var groupId: String?
    var segmentId: String?
    var all: Bool?

    static let maxUsers = 10_000
    static let maxDataBytes = 16_384

    /// A checked send, ready to store.
    struct Checked: Sendable {
        var type: NotificationType
        var title: String
        var message: String
        var data: JSONValue
        var channels: [Channel]
        var target: Broadcast.TargetKind
        var targetID: EntityID?
        var userIDs: [EntityID]?
    }

    /// The send checked against the catalog, or 422 naming every problem.
    func checked(types: NotificationTypeRepository, applicationID: EntityID, logger: Logger) async throws -> Checked {
        var errors: [Problem.FieldError] = []
        let title = NotificationTypeInput.text(self.title, max: 200)
        if title?.isEmpty ?? true { errors.append(.init(field: "title", code: "invalid", message: "must be 1 to 200 characters")) }
        let message = NotificationTypeInput.text(self.message, max: 5000)
        if message?.isEmpty ?? true { errors.append(.init(field: "message", code: "invalid", message: "must be 1 to 5000 characters")) }
        let data = self.data ?? .object([:])
        if case .object = data {
            if try RosterJSON.makeEncoder().encode(data).count > Self.maxDataBytes {
                errors.append(.init(field: "data", code: "too_large", message: "must be at most 16 KiB of JSON"))
            }
        } else {
            errors.append(.init(field: "data", code: "invalid", message: "must be an object"))
        }
        let target = self.target(errors: &errors)
        let type = try await types.find(code: self.type, applicationID: applicationID, logger: logger)
        if type == nil { errors.append(.init(field: "type", code: "unknown_type", message: "no notification type has this code")) }
        var channels: [Channel] = []
        if let type {
            if let names = self.channels {
                for name in names {
                    guard let channel = Channel(rawValue: name), type.channels.contains(channel) else {
                        errors.append(
                            .init(field: "channels", code: "unknown_channel", message: "the type allows " + type.channels.map(\.rawValue).joined(separator: ", ")))
                        continue
                    }
                    if !channels.contains(channel) { channels.append(channel) }
                }
                if names.isEmpty { errors.append(.init(field: "channels", code: "invalid", message: "must name at least one channel")) }
            } else {
                channels = type.channels
            }
        }
        guard errors.isEmpty, let type, let title, let message, let target else {
            throw Problem.validation("The notification cannot be sent.", errors: errors)
        }
        return Checked(
            type: type, title: title, message: message, data: data, channels: channels, target: target.kind, targetID: target.id,
            userIDs: target.users)
    }

    private func target(errors: inout [Problem.FieldError]) -> (kind: Broadcast.TargetKind, id: EntityID?, users: [EntityID]?)? {
        let given = [self.userId != nil, self.userIds != nil, self.groupId != nil, self.segmentId != nil, self.all != nil].filter { $0 }.count
        guard given == 1 else {
            errors.append(
                .init(field: "target", code: "invalid", message: "give exactly one of userId, userIds, groupId, segmentId or all"))
            return nil
        }
        if let text = self.userId {
            guard let id = EntityID(text) else {
                errors.append(.init(field: "userId", code: "invalid", message: "must be a user id"))
                return nil
            }
            return (.users, nil, [id])
        }
        if let texts = self.userIds {
            let ids = texts.compactMap(EntityID.init)
            guard ids.count == texts.count, (1...Self.maxUsers).contains(ids.count) else {
                errors.append(.init(field: "userIds", code: "invalid", message: "must list 1 to 10000 user ids"))
                return nil
            }
            return (.users, nil, Array(Set(ids)).sorted())
        }
        if let text = self.groupId ?? self.segmentId {
            let field = self.groupId != nil ? "groupId" : "segmentId"
            guard let id = EntityID(text) else {
                errors.append(.init(field: field, code: "invalid", message: "must be an id"))
                return nil
            }
            return (self.groupId != nil ? .group : .segment, id, nil)
        }
        guard self.all == true else {
            errors.append(.init(field: "all", code: "invalid", message: "must be true to send to every user"))
            return nil
        }
        return (.all, nil, nil)
    }
}
