import Foundation
import RosterProtocol
import RosterRuntime

/// A filter on an attribute: `attributes.<slug>[.<op>]=<value>` in the query (or the same
/// names in `filter={...}`). Operators: `eq` (the default), `ne`, `gt`, `gte`, `lt`, `lte`,
/// `in` (comma-separated), `exists` (true/false). Only searchable attributes may be used.
struct AttributeCondition: Sendable {
    enum Operator: String, CaseIterable, Sendable {
        case eq, ne, gt, gte, lt, lte, `in`, exists
    }

    /// A value typed for its column.
    enum Value: Sendable {
        case text(String), number(Double), time(Date), bool(Bool)

        var sql: SQLFragment {
            switch self {
            case .text(let value): "\(value)"
            case .number(let value): "\(value)"
            case .time(let value): "\(value)"
            case .bool(let value): "\(value)"
            }
        }
    }

    var definition: AttributeDefinition
    var op: Operator
    var values: [Value]
    var exists = true

    /// The definition an `attributes.<slug>` name refers to, if it may be searched.
    static func searchable(_ slug: String, in catalog: [String: AttributeDefinition], parameter: String) throws -> AttributeDefinition {
        guard let definition = catalog[slug] else {
            throw Problem.badRequest(
                "Unknown attribute \"\(slug)\".", code: "unknown_attribute",
                errors: [.init(field: parameter, code: "unknown_attribute", message: "no attribute definition has this slug")])
        }
        guard definition.searchable, !definition.encrypted else {
            throw Problem.badRequest(
                "Attribute \(slug) is not searchable; mark its definition searchable to filter or sort by it.", code: "attribute_not_searchable",
                errors: [.init(field: parameter, code: "attribute_not_searchable", message: "the definition is not searchable")])
        }
        return definition
    }

    /// Parses one condition from its parameter name (without `attributes.`) and text.
    init(name: String, text: String, catalog: [String: AttributeDefinition]) throws {
        let parameter = "attributes.\(name)"
        let parts = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let slug = parts.first, !slug.isEmpty else { throw Self.invalid(parameter, "must name an attribute: attributes.<slug>") }
        let definition = try Self.searchable(slug, in: catalog, parameter: parameter)
        guard let op = parts.count == 2 ? Operator(rawValue: parts[1]) : .eq else {
            let names = Operator.allCases.map(\.rawValue).joined(separator: ", ")
            throw Self.invalid(parameter, "the operator must be one of \(names)")
        }
        self.definition = definition
        self.op = op
        self.values = []
        let orderable = [.gt, .gte, .lt, .lte].contains(op)
        if orderable, !definition.type.isOrderable {
            throw Self.invalid(parameter, "\(definition.type.rawValue) attributes cannot be compared with \(op.rawValue)")
        }
        switch op {
        case .exists:
            guard let flag = AttributeCoercion.bool(.string(text)) else { throw Self.invalid(parameter, "must be true or false") }
            self.exists = flag
        case .in:
            let items = text.split(separator: ",").map { String($0) }
            guard (1...100).contains(items.count) else { throw Self.invalid(parameter, "must list 1 to 100 values") }
            self.values = try items.map { try Self.value($0, definition: definition, parameter: parameter) }
        default:
            self.values = [try Self.value(text, definition: definition, parameter: parameter)]
        }
    }

    /// The value of `text` in the definition's type (its rules are not applied to filters).
    static func value(_ text: String, definition: AttributeDefinition, parameter: String) throws -> Value {
        var typeOnly = definition
        typeOnly.rules = AttributeRules()
        guard case .success(let stored?) = AttributeValidator(typeOnly).coerce(.string(text), fromText: true) else {
            throw Self.invalid(parameter, "is not a valid \(definition.type.rawValue) value")
        }
        switch definition.type {
        case .number: return .number(stored.number ?? 0)
        case .boolean: return .bool(stored.bool ?? false)
        case .date, .datetime: return .time(stored.time ?? Date())
        case .string, .enumeration, .stringList, .json: return .text(text.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The condition on the values row aliased `alias` (its definition already matched).
    func predicate(_ alias: String) -> SQLFragment {
        let column = "\(alias).\(self.definition.type.column ?? "value_text")"
        if self.definition.type == .stringList {
            // Lists: eq / in mean "holds the item" (any of them); ne means "does not hold it".
            let items = self.values.compactMap { if case .text(let item) = $0 { item } else { nil } }
            switch self.op {
            case .ne: return "NOT (\(identifier: column) @> \(items)::text[])"
            case .exists: return "TRUE"
            default: return "\(identifier: column) && \(items)::text[]"
            }
        }
        switch self.op {
        case .eq: return "\(identifier: column) = " + self.values[0].sql
        case .ne: return "\(identifier: column) <> " + self.values[0].sql
        case .gt: return "\(identifier: column) > " + self.values[0].sql
        case .gte: return "\(identifier: column) >= " + self.values[0].sql
        case .lt: return "\(identifier: column) < " + self.values[0].sql
        case .lte: return "\(identifier: column) <= " + self.values[0].sql
        case .in: return "\(identifier: column) IN (" + SQLFragment.joined(self.values.map(\.sql), separator: ", ") + ")"
        case .exists: return "TRUE"
        }
    }

    static func invalid(_ parameter: String, _ message: String) -> Problem {
        .badRequest("Query parameter \(parameter) \(message).", code: "invalid_query", errors: [.init(field: parameter, code: "invalid_query", message: message)])
    }
}

/// The conditions on one attribute that one value row must meet together (a range is two),
/// or one `exists=false` condition (no value row at all).
struct AttributeFilter: Sendable {
    var definition: AttributeDefinition
    var conditions: [AttributeCondition]
    var negated: Bool

    /// The conditions on the value row aliased `alias`.
    func predicate(_ alias: String) -> SQLFragment {
        SQLFragment.all(self.conditions.map { $0.predicate(alias) })
    }

    /// Groups conditions by attribute, in the order they were given.
    static func grouping(_ conditions: [AttributeCondition]) -> [AttributeFilter] {
        var filters: [AttributeFilter] = []
        for condition in conditions {
            if !condition.exists {
                filters.append(AttributeFilter(definition: condition.definition, conditions: [], negated: true))
            } else if let index = filters.firstIndex(where: { !$0.negated && $0.definition.id == condition.definition.id }) {
                filters[index].conditions.append(condition)
            } else {
                filters.append(AttributeFilter(definition: condition.definition, conditions: [condition], negated: false))
            }
        }
        return filters
    }
}
