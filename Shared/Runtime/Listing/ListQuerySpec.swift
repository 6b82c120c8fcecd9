/// What one list endpoint offers: its sort fields, filters and page sizes.
///
/// Only what a spec names can be sorted or filtered; the parser refuses anything else with a
/// 400 that lists what is allowed. Column expressions come from here, never from requests.
public struct ListQuerySpec: Sendable {
    /// A field the list can be sorted by.
    public struct SortField: Sendable {
        /// The sorted value as trusted SQL: a column name, or an expression such as `lower(email)`.
        public var sql: SQLFragment
        public var type: ValueType
        /// Whether rows may have no value: they sort last ascending (first descending), and
        /// keyset paging must not lose them.
        public var nullable: Bool
        /// Whether the column sorts by its `lower()`: cursors then hold the row's own value and
        /// PostgreSQL lower-cases it too (its case mapping differs from Swift's for some letters).
        public var lowercased = false

        /// Sorts by a plain column (`created_at`, `p.user_id`).
        public init(column: String, type: ValueType, nullable: Bool = false) {
            self.sql = "\(identifier: column)"
            self.type = type
            self.nullable = nullable
        }

        /// Sorts a text column case-insensitively, by `lower(column)` (an index on it should exist).
        public static func lowercased(_ column: String, nullable: Bool = false) -> SortField {
            var field = SortField(column: column, type: .string, nullable: nullable)
            field.sql = "lower(\(identifier: column))"
            field.lowercased = true
            return field
        }
    }

    /// The type of a sort key or filter value.
    public enum ValueType: Sendable, Equatable {
        case string, boolean, integer, id, timestamp
        /// A sort key only (attribute values); no filter is declared with it.
        case number
        /// One of the listed strings.
        case choice([String])
        /// Some of the listed strings, as a JSON array or comma-separated.
        case choices([String])
        /// Several strings, as a JSON array or comma-separated.
        case strings
        /// Several ids, as a JSON array or comma-separated.
        case ids

        /// How the parser names the expected value in its messages.
        var expectation: String {
            switch self {
            case .string: "a string"
            case .boolean: "true or false"
            case .integer: "a whole number"
            case .number: "a number"
            case .id: "an id (UUID)"
            case .timestamp: "an RFC 3339 timestamp or a YYYY-MM-DD date"
            case .choice(let values): "one of " + values.joined(separator: ", ")
            case .choices(let values): "a list of " + values.joined(separator: ", ")
            case .strings: "a list of strings"
            case .ids: "a list of ids"
            }
        }
    }

    public var sortFields: [String: SortField]
    public var defaultSort: [SortKey]
    public var filters: [String: ValueType]
    /// Whether `q` / `search` is accepted.
    public var searchable: Bool
    public var defaultLimit: Int
    public var maxLimit: Int
    /// The column of the id, the last tie-breaker of every order.
    public var idColumn: String
    /// When set, the other query parameters the endpoint reads itself (`include`, ...): any
    /// parameter that is neither one of these nor part of the list query is refused with a
    /// 400 naming it. When `nil`, unknown parameters are ignored.
    public var otherParameters: Set<String>?

    public init(
        sortFields: [String: SortField], defaultSort: [SortKey], filters: [String: ValueType] = [:],
        searchable: Bool = false, defaultLimit: Int = 20, maxLimit: Int = 100, idColumn: String = "id",
        otherParameters: Set<String>? = nil
    ) {
        self.otherParameters = otherParameters
        self.sortFields = sortFields
        self.defaultSort = defaultSort
        self.filters = filters
        self.searchable = searchable
        self.defaultLimit = defaultLimit
        self.maxLimit = maxLimit
        self.idColumn = idColumn
    }
}

/// One key of an order: field name (as the API spells it) and direction.
public struct SortKey: Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var descending: Bool

    public init(_ field: String, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }

    /// `-createdAt` / `email`.
    public var description: String { (self.descending ? "-" : "") + self.field }
}
