/// What a criterion can test: a profile field or engagement counter of the projection, a
/// searchable attribute (typed by its definition), or the user's tags or static groups.
struct RuleField: Sendable {
    /// Where the field's value lives.
    enum Source: Sendable {
        /// A trusted SQL expression over the projection row `p`.
        case column(String)
        case attribute(AttributeDefinition)
        case tags, groups
    }

    /// How values compare.
    enum ValueType: String, Sendable {
        case text, number, time, boolean
        /// A string-list attribute: holds items.
        case list
        /// Tags or groups: the user holds some, named by id or name.
        case membership
    }

    var name: String
    var source: Source
    var type: ValueType
    /// The only values the field takes (status, type), checked when a rule is saved.
    var vocabulary: [String]?

    /// The operators each type offers.
    static func operators(for type: ValueType) -> Set<RuleOperator.Base> {
        switch type {
        case .text: [.equals, .notEquals, .contains, .notContains, .startsWith, .endsWith, .in, .notIn, .exists, .notExists, .regex]
        case .number:
            [.equals, .notEquals, .greaterThan, .lessThan, .greaterOrEqual, .lessOrEqual, .between, .in, .notIn, .exists, .notExists]
        case .time: [.equals, .notEquals, .greaterThan, .lessThan, .greaterOrEqual, .lessOrEqual, .between, .exists, .notExists]
        case .boolean: [.equals, .notEquals, .exists, .notExists]
        case .list, .membership: [.contains, .notContains, .in, .notIn, .exists, .notExists]
        }
    }

    /// The projection's fields by the name rules use. `engagement.lastActivity` and
    /// `lastActivity` are the same column.
    static let profile: [String: RuleField] = {
        var fields: [String: RuleField] = [:]
        func add(_ name: String, _ column: String, _ type: ValueType, _ vocabulary: [String]? = nil) {
            fields[name] = RuleField(name: name, source: .column(column), type: type, vocabulary: vocabulary)
        }
        for (name, column) in [
            ("email", "email"), ("phone", "phone"), ("username", "username"), ("firstName", "first_name"), ("lastName", "last_name"),
            ("language", "language"), ("timezone", "timezone"), ("country", "country"), ("city", "city"),
            ("department", "department"), ("sex", "sex"),
        ] {
            add(name, "p.\(column)", .text)
        }
        add("status", "p.status", .text, ["active", "inactive", "blocked"])
        add("type", "p.type", .text, ["visitor", "lead", "user", "agent", "admin", "bot"])
        add("emailVerified", "p.email_verified", .boolean)
        add("phoneVerified", "p.phone_verified", .boolean)
        add("birthDate", "(p.birth_date::timestamp AT TIME ZONE 'UTC')", .time)
        add("createdAt", "p.created_at", .time)
        add("updatedAt", "p.updated_at", .time)
        add("lastLoginAt", "p.last_login_at", .time)
        add("lastActivity", "p.last_activity_at", .time)
        add("lastActivityAt", "p.last_activity_at", .time)
        add("engagement.lastActivity", "p.last_activity_at", .time)
        add("engagement.engagementScore", "p.engagement_score", .number)
        add("engagement.messagesSent", "p.messages_sent", .number)
        add("engagement.messagesReceived", "p.messages_received", .number)
        add("engagement.visits", "p.visits", .number)
        return fields
    }()

    /// The field a criterion names, or why it cannot be used.
    static func resolve(_ name: String, definitions: [String: AttributeDefinition]) -> Result<RuleField, RuleFieldError> {
        if let field = Self.profile[name] { return .success(field) }
        switch name {
        case "tags": return .success(RuleField(name: name, source: .tags, type: .membership))
        case "groups": return .success(RuleField(name: name, source: .groups, type: .membership))
        default: break
        }
        guard name.hasPrefix("attributes.") else { return .failure(.unknown) }
        guard let definition = definitions[String(name.dropFirst("attributes.".count))] else { return .failure(.unknownAttribute) }
        guard definition.searchable, !definition.encrypted else { return .failure(.notSearchable) }
        let type: ValueType? =
            switch definition.type {
            case .string, .enumeration: .text
            case .number: .number
            case .boolean: .boolean
            case .date, .datetime: .time
            case .stringList: .list
            case .json: nil
            }
        guard let type else { return .failure(.notSearchable) }
        let vocabulary = definition.type == .enumeration ? definition.rules.allowedValues : nil
        return .success(RuleField(name: name, source: .attribute(definition), type: type, vocabulary: vocabulary))
    }
}

/// Why a field name cannot be used in a rule.
enum RuleFieldError: Error {
    case unknown, unknownAttribute, notSearchable

    var message: String {
        switch self {
        case .unknown: "is not a field rules know: a profile field (status, type, createdAt, ...), engagement.*, attributes.<slug>, tags or groups"
        case .unknownAttribute: "names no attribute definition of this application"
        case .notSearchable: "names an attribute that is not searchable; mark its definition searchable to use it in rules"
        }
    }
}
