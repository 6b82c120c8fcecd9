import Foundation
import RosterProtocol
import RosterRuntime

/// A label users carry (seed 000). System tags can be neither deleted nor renamed.
struct Tag: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var name: String
    var category: String?
    var color: String?
    var description: String?
    var isSystem: Bool
    /// Users carrying the tag; kept exact by the database.
    var usageCount: Int64
    var createdAt: Date
    var updatedAt: Date

    func sortValue(for field: String) -> String? {
        switch field {
        case "name": self.name
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "usageCount": String(self.usageCount)
        default: nil
        }
    }
}

/// The body of `POST /tags` and `PUT`/`PATCH /tags/{id}` (fields present are changed).
struct TagInput: Decodable, Sendable {
    var name: PatchField<String> = .absent
    var category: PatchField<String> = .absent
    var color: PatchField<String> = .absent
    var description: PatchField<String> = .absent
    var isSystem: PatchField<Bool> = .absent

    enum CodingKeys: String, CodingKey { case name, category, color, description, isSystem }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decodePatch(String.self, forKey: .name)
        self.category = try container.decodePatch(String.self, forKey: .category)
        self.color = try container.decodePatch(String.self, forKey: .color)
        self.description = try container.decodePatch(String.self, forKey: .description)
        self.isSystem = try container.decodePatch(Bool.self, forKey: .isSystem)
    }

    /// Applies the present fields, or throws 422 naming every broken rule.
    func apply(to tag: inout Tag, creating: Bool) throws {
        var errors: [Problem.FieldError] = []
        if creating, self.name.value == nil { errors.append(.init(field: "name", code: "required", message: "is required")) }
        if let name = LabelRules.text(self.name, field: "name", max: 100, nullable: false, errors: &errors) { tag.name = name ?? tag.name }
        if let category = LabelRules.text(self.category, field: "category", max: 100, nullable: true, errors: &errors) { tag.category = category }
        if let description = LabelRules.text(self.description, field: "description", max: 1000, nullable: true, errors: &errors) {
            tag.description = description
        }
        if let color = LabelRules.color(self.color, errors: &errors) { tag.color = color }
        switch self.isSystem {
        case .absent: break
        case .null: errors.append(.init(field: "isSystem", code: "required", message: "must be true or false"))
        case .value(let flag): tag.isSystem = flag
        }
        guard errors.isEmpty else { throw Problem.validation("The tag is not valid.", errors: errors) }
    }
}

/// The text rules shared by tags and groups (names, categories, colors).
enum LabelRules {
    /// `nil`: absent (or invalid, with an error); `.some(nil)`: cleared; `.some(text)`: trimmed text.
    static func text(_ field: PatchField<String>, field name: String, max: Int, nullable: Bool, errors: inout [Problem.FieldError])
        -> String??
    {
        switch field {
        case .absent:
            return nil
        case .null:
            guard nullable else {
                errors.append(.init(field: name, code: "required", message: "cannot be null"))
                return nil
            }
            return .some(nil)
        case .value(let value):
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.contains("\u{0}"), trimmed.unicodeScalars.count <= max, nullable || !trimmed.isEmpty else {
                errors.append(.init(field: name, code: "invalid", message: nullable ? "must be at most \(max) characters" : "must be 1 to \(max) characters"))
                return nil
            }
            return .some(trimmed.isEmpty ? nil : trimmed)
        }
    }

    static var colorPattern: Regex<(Substring, Substring)> { /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/ }

    static func color(_ field: PatchField<String>, errors: inout [Problem.FieldError]) -> String?? {
        switch field {
        case .absent: return nil
        case .null: return .some(nil)
        case .value(let value):
            guard value.wholeMatch(of: Self.colorPattern) != nil else {
                errors.append(.init(field: "color", code: "invalid", message: "must be a hex color such as #FF5722"))
                return nil
            }
            return .some(value)
        }
    }
}
