import Foundation
import RosterProtocol
import RosterRuntime

/// A group of users (seeds 000, 002). Static groups hold the users added to them; dynamic ones
/// the users their `rules` match, kept current as users change. `uid` is a short numeric id
/// for people and URLs.
struct Group: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var uid: Int64
    var name: String
    var description: String?
    var category: String?
    var tags: [String]
    var color: String?
    var type: String
    /// A dynamic group's rule; `nil` for a static group.
    var rule: Rule?
    var isDefault: Bool
    var isActive: Bool
    /// Exact: the database keeps it in step with every membership change.
    var memberCount: Int64
    var lastCalculated: Date?
    var version: Int
    var createdAt: Date
    var updatedAt: Date

    var status: String { self.isActive ? "active" : "inactive" }

    enum CodingKeys: String, CodingKey {
        case id, uid, name, description, category, tags, color, type, rules, isDefault, isActive, status, memberCount, lastCalculated,
            version, createdAt, updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.uid, forKey: .uid)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.description, forKey: .description)
        try container.encode(self.category, forKey: .category)
        try container.encode(self.tags, forKey: .tags)
        try container.encode(self.color, forKey: .color)
        try container.encode(self.type, forKey: .type)
        try container.encodeIfPresent(self.rule, forKey: .rules)
        try container.encode(self.isDefault, forKey: .isDefault)
        try container.encode(self.isActive, forKey: .isActive)
        try container.encode(self.status, forKey: .status)
        try container.encode(self.memberCount, forKey: .memberCount)
        try container.encode(self.lastCalculated, forKey: .lastCalculated)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }

    func sortValue(for field: String) -> String? {
        switch field {
        case "name": self.name
        case "uid": String(self.uid)
        case "memberCount": String(self.memberCount)
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "updatedAt": RosterJSON.formatTimestamp(self.updatedAt)
        default: nil
        }
    }
}

/// The body of `POST /groups` and `PUT`/`PATCH /groups/{id}` (fields present are changed).
struct GroupInput: Decodable, Sendable {
    var name: PatchField<String> = .absent
    var description: PatchField<String> = .absent
    var category: PatchField<String> = .absent
    var tags: PatchField<[String]> = .absent
    var color: PatchField<String> = .absent
    var type: PatchField<String> = .absent
    var rules: PatchField<JSONValue> = .absent
    var isDefault: PatchField<Bool> = .absent
    var isActive: PatchField<Bool> = .absent
    var status: PatchField<String> = .absent

    enum CodingKeys: String, CodingKey { case name, description, category, tags, color, type, rules, isDefault, isActive, status }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decodePatch(String.self, forKey: .name)
        self.description = try container.decodePatch(String.self, forKey: .description)
        self.category = try container.decodePatch(String.self, forKey: .category)
        self.tags = try container.decodePatch([String].self, forKey: .tags)
        self.color = try container.decodePatch(String.self, forKey: .color)
        self.type = try container.decodePatch(String.self, forKey: .type)
        self.rules = try container.decodePatch(JSONValue.self, forKey: .rules)
        self.isDefault = try container.decodePatch(Bool.self, forKey: .isDefault)
        self.isActive = try container.decodePatch(Bool.self, forKey: .isActive)
        self.status = try container.decodePatch(String.self, forKey: .status)
    }

    /// The input of a CSV upload, whose group fields come as query parameters.
    init(queryParameters parameters: [(String, String)]) {
        func value(_ name: String) -> PatchField<String> { parameters.last(where: { $0.0 == name }).map { .value($0.1) } ?? .absent }
        self.name = value("name")
        self.description = value("description")
        self.category = value("category")
        self.color = value("color")
        self.status = value("status")
        if let flag = parameters.last(where: { $0.0 == "isDefault" })?.1 {
            self.isDefault = .value(flag == "true")
            if flag != "true" && flag != "false" { self.isDefault = .null }
        }
        if let tags = parameters.last(where: { $0.0 == "tags" })?.1 {
            self.tags = .value(tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
    }

    /// Applies the present fields, or throws 422 naming every broken rule.
    func apply(to group: inout Group, creating: Bool) throws {
        var errors: [Problem.FieldError] = []
        if creating, self.name.value == nil { errors.append(.init(field: "name", code: "required", message: "is required")) }
        if let name = LabelRules.text(self.name, field: "name", max: 200, nullable: false, errors: &errors) { group.name = name ?? group.name }
        if let text = LabelRules.text(self.description, field: "description", max: 2000, nullable: true, errors: &errors) {
            group.description = text
        }
        if let text = LabelRules.text(self.category, field: "category", max: 100, nullable: true, errors: &errors) { group.category = text }
        if let color = LabelRules.color(self.color, errors: &errors) { group.color = color }
        switch self.tags {
        case .absent: break
        case .null: group.tags = []
        case .value(let tags):
            let trimmed = tags.map { $0.trimmingCharacters(in: .whitespaces) }
            guard trimmed.count <= 50, trimmed.allSatisfy({ (1...50).contains($0.count) && !$0.contains("\u{0}") }) else {
                errors.append(.init(field: "tags", code: "invalid", message: "must list up to 50 labels of 1 to 50 characters"))
                break
            }
            var seen: Set<String> = []
            group.tags = trimmed.filter { seen.insert($0).inserted }
        }
        switch self.type {
        case .absent: break
        case .value(let type) where creating && (type == "static" || type == "dynamic"): group.type = type
        case .value(let type) where !creating && type == group.type: break
        default:
            errors.append(.init(field: "type", code: "invalid", message: creating ? "must be static or dynamic" : "cannot change once created"))
        }
        switch (self.rules, group.type) {
        case (.absent, "dynamic") where creating:
            errors.append(.init(field: "rules", code: "required", message: "a dynamic group needs rules: {criteria, logic}"))
        case (.absent, _): break
        case (.value(let json), "dynamic"):
            // A partial object changes only the rule fields it names.
            var merged = json
            if case .object(let changes) = json, let rule = group.rule, let fields = try? rule.fields(replacedBy: changes) {
                merged = .object(fields)
            }
            do {
                group.rule = try Rule.parse(merged, path: "rules")
            } catch {
                errors += error.errors
            }
        case (.null, "dynamic"): errors.append(.init(field: "rules", code: "required", message: "a dynamic group cannot lose its rules"))
        default: errors.append(.init(field: "rules", code: "invalid", message: "only dynamic groups have rules"))
        }
        if let flag = self.isDefault.value { group.isDefault = flag }
        if let flag = self.isActive.value { group.isActive = flag }
        switch self.status {
        case .absent: break
        case .value("active"): group.isActive = true
        case .value("inactive"): group.isActive = false
        default: errors.append(.init(field: "status", code: "invalid", message: "must be active or inactive"))
        }
        for (field, value) in [("isDefault", self.isDefault), ("isActive", self.isActive)] where value.isPresent && value.value == nil {
            errors.append(.init(field: field, code: "required", message: "must be true or false"))
        }
        guard errors.isEmpty else { throw Problem.validation("The group is not valid.", errors: errors) }
    }
}
