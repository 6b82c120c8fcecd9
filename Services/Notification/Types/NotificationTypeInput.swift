import Foundation
import RosterProtocol
import RosterRuntime

/// The body of `POST /notification-types` and `PATCH /notification-types/{id}` (fields present are changed).
struct NotificationTypeInput: Decodable, Sendable {
    var code: PatchField<String> = .absent
    var name: PatchField<String> = .absent
    var description: PatchField<String> = .absent
    var defaultEnabled: PatchField<Bool> = .absent
    var channels: PatchField<[String]> = .absent
    var critical: PatchField<Bool> = .absent

    enum CodingKeys: String, CodingKey { case code, name, description, defaultEnabled, channels, critical }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.code = try container.decodePatch(String.self, forKey: .code)
        self.name = try container.decodePatch(String.self, forKey: .name)
        self.description = try container.decodePatch(String.self, forKey: .description)
        self.defaultEnabled = try container.decodePatch(Bool.self, forKey: .defaultEnabled)
        self.channels = try container.decodePatch([String].self, forKey: .channels)
        self.critical = try container.decodePatch(Bool.self, forKey: .critical)
    }

    /// Applies the present fields, or throws 422 naming every broken rule.
    func apply(to type: inout NotificationType, creating: Bool) throws {
        var errors: [Problem.FieldError] = []
        switch self.code {
        case .absent:
            if creating { errors.append(.init(field: "code", code: "required", message: "is required")) }
        case .null:
            errors.append(.init(field: "code", code: "required", message: "cannot be null"))
        case .value(let code):
            if !Self.isCode(code) {
                errors.append(.init(field: "code", code: "invalid", message: "must be 1 to 64 of a-z, 0-9 and _, starting with a letter"))
            } else {
                type.code = code
            }
        }
        switch self.name {
        case .absent:
            if creating { errors.append(.init(field: "name", code: "required", message: "is required")) }
        case .null:
            errors.append(.init(field: "name", code: "required", message: "cannot be null"))
        case .value(let name):
            if let text = Self.text(name, max: 200), !text.isEmpty {
                type.name = text
            } else {
                errors.append(.init(field: "name", code: "invalid", message: "must be 1 to 200 characters"))
            }
        }
        switch self.description {
        case .absent: break
        case .null: type.description = nil
        case .value(let description):
            if let text = Self.text(description, max: 2000) {
                type.description = text.isEmpty ? nil : text
            } else {
                errors.append(.init(field: "description", code: "invalid", message: "must be at most 2000 characters"))
            }
        }
        switch self.channels {
        case .absent: break
        case .null: errors.append(.init(field: "channels", code: "required", message: "cannot be null"))
        case .value(let names):
            let channels = names.compactMap(Channel.init(rawValue:))
            if channels.count != names.count || channels.isEmpty || Set(channels).count != channels.count {
                errors.append(.init(field: "channels", code: "invalid", message: "must list in_app, email or webhook, each at most once"))
            } else {
                type.channels = channels
            }
        }
        if let flag = Self.flag(self.defaultEnabled, field: "defaultEnabled", errors: &errors) { type.defaultEnabled = flag }
        if let flag = Self.flag(self.critical, field: "critical", errors: &errors) { type.critical = flag }
        guard errors.isEmpty else { throw Problem.validation("The notification type is not valid.", errors: errors) }
    }

    /// The text trimmed, or `nil` when it has more than `max` characters (counted before
    /// trimming, as the OpenAPI document's `maxLength` counts) or a NUL.
    static func text(_ value: String, max: Int) -> String? {
        guard value.unicodeScalars.count <= max, !value.unicodeScalars.contains("\u{0}") else { return nil }
        return value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// 1 to 64 of `a-z`, `0-9` and `_`, starting with a letter.
    static func isCode(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 64, ("a"..."z").contains(first) else { return false }
        return scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    private static func flag(_ field: PatchField<Bool>, field name: String, errors: inout [Problem.FieldError]) -> Bool? {
        switch field {
        case .absent: return nil
        case .null:
            errors.append(.init(field: name, code: "required", message: "must be true or false"))
            return nil
        case .value(let flag): return flag
        }
    }
}
