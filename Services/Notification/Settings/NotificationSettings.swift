import RosterProtocol

/// A user's notification settings (seed 004 "get notifications"): every type of the
/// application with what reaches the user on each channel it allows.
struct NotificationSettings: Encodable, Sendable {
    /// One type as the user has it.
    struct Entry: Encodable, Sendable {
        var code: String
        var name: String
        var description: String?
        var critical: Bool
        /// Whether the type reaches the user on at least one channel.
        var enabled: Bool
        /// Each channel the type allows, and whether the user receives it there.
        var channels: [String: Bool]
    }

    var userId: EntityID
    var settings: [Entry]

    /// The view of `types` for a user whose stored choices are `choices` (type id → channel → on).
    init(userID: EntityID, types: [NotificationType], choices: [EntityID: [Channel: Bool]]) {
        self.userId = userID
        self.settings = types.map { type in
            var channels: [String: Bool] = [:]
            for channel in type.channels {
                channels[channel.rawValue] = type.critical || (choices[type.id]?[channel] ?? type.defaultEnabled)
            }
            return Entry(
                code: type.code, name: type.name, description: type.description, critical: type.critical,
                enabled: channels.values.contains(true), channels: channels)
        }
    }
}

/// The body of `PUT`/`PATCH …/notification-settings`: per type code, `true`/`false` for every
/// channel the type allows, or an object choosing channel by channel. Types left out keep
/// their settings.
struct NotificationSettingsUpdate: Decodable, Sendable {
    /// One type's choice.
    enum Choice: Decodable, Sendable {
        case everyChannel(Bool)
        case channels([String: Bool])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .everyChannel(flag)
            } else {
                self = .channels(try container.decode([String: Bool].self))
            }
        }
    }

    var settings: [String: Choice]

    /// A stored choice: type, channel, on or off.
    struct Row: Sendable {
        var typeID: EntityID
        var channel: Channel
        var enabled: Bool
    }

    /// The rows the update stores, or 422 naming every unknown type, channel the type does not
    /// allow, and critical type turned off.
    func rows(types: [NotificationType]) throws -> [Row] {
        guard self.settings.count <= NotificationTypeRepository.limit.limit else {
            throw Problem.validation(
                "settings names at most \(NotificationTypeRepository.limit.limit) types.",
                errors: [.init(field: "settings", code: "too_many", message: "at most \(NotificationTypeRepository.limit.limit) types")])
        }
        let byCode = Dictionary(uniqueKeysWithValues: types.map { ($0.code, $0) })
        var errors: [Problem.FieldError] = []
        var rows: [Row] = []
        for (code, choice) in self.settings.sorted(by: { $0.key < $1.key }) {
            let field = "settings.\(code)"
            guard let type = byCode[code] else {
                errors.append(.init(field: field, code: "unknown_type", message: "no notification type has this code"))
                continue
            }
            var wanted: [(Channel, Bool)] = []
            switch choice {
            case .everyChannel(let flag):
                wanted = type.channels.map { ($0, flag) }
            case .channels(let channels):
                guard channels.count <= Channel.allCases.count else {
                    errors.append(.init(field: field, code: "invalid", message: "names at most \(Channel.allCases.count) channels"))
                    continue
                }
                for (name, flag) in channels.sorted(by: { $0.key < $1.key }) {
                    guard let channel = Channel(rawValue: name), type.channels.contains(channel) else {
                        errors.append(
                            .init(
                                field: "\(field).\(name)", code: "unknown_channel",
                                message: "the type allows " + type.channels.map(\.rawValue).joined(separator: ", ")))
                        continue
                    }
                    wanted.append((channel, flag))
                }
            }
            if type.critical, wanted.contains(where: { !$0.1 }) {
                errors.append(.init(field: field, code: "critical_type", message: "a critical type cannot be turned off"))
                continue
            }
            rows += wanted.map { Row(typeID: type.id, channel: $0.0, enabled: $0.1) }
        }
        guard errors.isEmpty else { throw Problem.validation("The notification settings are not valid.", errors: errors) }
        return rows
    }
}
