/// The type of an attribute definition: decides how values are validated, stored and compared.
enum AttributeType: String, Codable, Sendable, CaseIterable {
    case string, number, boolean, date, datetime
    case enumeration = "enum"
    case stringList = "string_list"
    case json

    /// The typed column of `attribute_values` its values are filtered and sorted on.
    var column: String? {
        switch self {
        case .string, .enumeration: "value_text"
        case .number: "value_number"
        case .boolean: "value_bool"
        case .date, .datetime: "value_time"
        case .stringList: "value_list"
        case .json: nil
        }
    }

    /// Whether values can be indexed (and so made searchable).
    var isIndexable: Bool { self.column != nil }

    /// Whether values can be ordered (lists and JSON cannot).
    var isOrderable: Bool { self != .stringList && self != .json }

    /// The validation rules that make sense for this type.
    var allowedRules: Set<AttributeRules.Kind> {
        switch self {
        case .string: [.required, .minLength, .maxLength, .regex, .allowedValues]
        case .number: [.required, .min, .max]
        case .boolean, .json: [.required]
        case .date, .datetime: [.required, .min, .max]
        case .enumeration: [.required, .allowedValues]
        case .stringList: [.required, .min, .max, .minLength, .maxLength, .regex, .allowedValues]
        }
    }
}
