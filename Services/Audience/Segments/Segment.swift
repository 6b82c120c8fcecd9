import Foundation
import RosterProtocol
import RosterRuntime

/// A saved audience (seed 000): a rule over the application's users, its members kept
/// current as users change; encoded with the rule's fields at the top level, as the seed shows.
struct Segment: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var name: String
    var description: String?
    var rule: Rule
    var isActive: Bool
    /// Exact: the database keeps it in step with the materialized members.
    var userCount: Int64
    /// When the members were last computed from scratch (a recalculation).
    var lastCalculated: Date?
    var version: Int
    var createdAt: Date
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description, criteria, logic, includeSegments, excludeSegments, isActive, userCount, lastCalculated, version,
            createdAt, updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.description, forKey: .description)
        try container.encode(self.rule.criteria, forKey: .criteria)
        try container.encode(self.rule.logic, forKey: .logic)
        try container.encode(self.rule.includeSegments, forKey: .includeSegments)
        try container.encode(self.rule.excludeSegments, forKey: .excludeSegments)
        try container.encode(self.isActive, forKey: .isActive)
        try container.encode(self.userCount, forKey: .userCount)
        try container.encode(self.lastCalculated, forKey: .lastCalculated)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }

    func sortValue(for field: String) -> String? {
        switch field {
        case "name": self.name
        case "userCount": String(self.userCount)
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "updatedAt": RosterJSON.formatTimestamp(self.updatedAt)
        default: nil
        }
    }
}

/// The body of `POST /segments` and `PUT`/`PATCH /segments/{id}`: fields present are changed;
/// `criteria`, `logic`, `includeSegments` and `excludeSegments` together make the rule.
struct SegmentInput: Sendable {
    var body: [String: JSONValue]

    init(_ body: JSONValue) throws {
        guard case .object(let object) = body else { throw Problem.badRequest("The body must be a JSON object.") }
        self.body = object
    }

    /// Whether the body changes the rule.
    var changesRule: Bool { Rule.fieldNames.contains { self.body[$0] != nil } }

    /// Applies the present fields, or throws 422 naming every problem (the rule's by path).
    func apply(to segment: inout Segment, creating: Bool) throws {
        var errors: [Problem.FieldError] = []
        if creating, self.body["name"] == nil { errors.append(.init(field: "name", code: "required", message: "is required")) }
        if let name = LabelRules.text(self.text("name", errors: &errors), field: "name", max: 200, nullable: false, errors: &errors) {
            segment.name = name ?? segment.name
        }
        let description = self.text("description", errors: &errors)
        if let text = LabelRules.text(description, field: "description", max: 2000, nullable: true, errors: &errors) {
            segment.description = text
        }
        switch self.body["isActive"] {
        case nil: break
        case .bool(let flag)?: segment.isActive = flag
        default: errors.append(.init(field: "isActive", code: "invalid", message: "must be true or false"))
        }
        if self.changesRule {
            do {
                segment.rule = try Rule.parse(.object(try segment.rule.fields(replacedBy: self.body)), path: "")
            } catch let problems as RuleProblems {
                errors += problems.errors
            }
        }
        guard errors.isEmpty else { throw Problem.validation("The segment is not valid.", errors: errors) }
    }

    /// A text field of the body; another kind of value is an error.
    private func text(_ key: String, errors: inout [Problem.FieldError]) -> PatchField<String> {
        switch self.body[key] {
        case nil: return .absent
        case .null?: return .null
        case .string(let text)?: return .value(text)
        default:
            errors.append(.init(field: key, code: "invalid", message: "must be a string"))
            return .absent
        }
    }
}
