import Foundation
import RosterProtocol

/// The validations of an attribute definition, kept in the seed's shape: `[{type, value}]`.
///
/// `min`/`max` bound numbers, dates (as dates) and the item count of string lists;
/// `minLength`/`maxLength`/`regex`/`allowedValues` apply to strings and to each list item;
/// `regex` is a PostgreSQL regular expression (POSIX ARE), found anywhere in the text.
struct AttributeRules: Sendable, Equatable {
    /// A rule's name in the API.
    enum Kind: String, CaseIterable, Sendable {
        case required, min, max, minLength, maxLength, regex, allowedValues
    }

    var required = false
    var min: JSONValue?
    var max: JSONValue?
    var minLength: Int?
    var maxLength: Int?
    var regex: String?
    var allowedValues: [String]?

    /// The rules that are set.
    var kinds: Set<Kind> {
        var kinds: Set<Kind> = []
        if self.required { kinds.insert(.required) }
        if self.min != nil { kinds.insert(.min) }
        if self.max != nil { kinds.insert(.max) }
        if self.minLength != nil { kinds.insert(.minLength) }
        if self.maxLength != nil { kinds.insert(.maxLength) }
        if self.regex != nil { kinds.insert(.regex) }
        if self.allowedValues != nil { kinds.insert(.allowedValues) }
        return kinds
    }

    /// The seed's list shape, in a fixed order.
    var list: [JSONValue] {
        var items: [JSONValue] = []
        func add(_ kind: Kind, _ value: JSONValue?) {
            if let value { items.append(["type": .string(kind.rawValue), "value": value]) }
        }
        add(.required, self.required ? .bool(true) : nil)
        add(.min, self.min)
        add(.max, self.max)
        add(.minLength, self.minLength.map { .integer(Int64($0)) })
        add(.maxLength, self.maxLength.map { .integer(Int64($0)) })
        add(.regex, self.regex.map { .string($0) })
        add(.allowedValues, self.allowedValues.map { .array($0.map { .string($0) }) })
        return items
    }

    /// Reads stored rules (written by `list`, so already valid).
    init(stored: JSONValue) {
        guard case .array(let items) = stored else { return }
        for item in items {
            guard case .object(let object) = item, let kind = object["type"]?.stringValue.flatMap(Kind.init), let value = object["value"]
            else { continue }
            switch (kind, value) {
            case (.required, .bool(let flag)): self.required = flag
            case (.min, _): self.min = value
            case (.max, _): self.max = value
            case (.minLength, .integer(let number)): self.minLength = Int(number)
            case (.maxLength, .integer(let number)): self.maxLength = Int(number)
            case (.regex, .string(let pattern)): self.regex = pattern
            case (.allowedValues, .array(let values)): self.allowedValues = values.compactMap(\.stringValue)
            default: continue
            }
        }
    }

    init() {}

    /// Parses and checks rules sent by a client for a definition of `type`; problems go to `errors`.
    init(parsing raw: JSONValue, type: AttributeType, errors: inout [Problem.FieldError]) {
        guard case .array(let items) = raw, items.count <= 20 else {
            errors.append(.init(field: "validations", code: "invalid", message: "must be a list of up to 20 {type, value} objects"))
            return
        }
        var seen: Set<Kind> = []
        for (index, item) in items.enumerated() {
            let field = "validations[\(index)]"
            guard case .object(let object) = item, let name = object["type"]?.stringValue, let value = object["value"] else {
                errors.append(.init(field: field, code: "invalid", message: "must be an object with type and value"))
                continue
            }
            guard let kind = Kind(rawValue: name) else {
                let names = Kind.allCases.map(\.rawValue).joined(separator: ", ")
                errors.append(.init(field: "\(field).type", code: "invalid", message: "must be one of \(names)"))
                continue
            }
            guard type.allowedRules.contains(kind) else {
                errors.append(.init(field: "\(field).type", code: "rule_not_applicable", message: "\(name) does not apply to \(type.rawValue) attributes"))
                continue
            }
            guard seen.insert(kind).inserted else {
                errors.append(.init(field: "\(field).type", code: "duplicate_rule", message: "\(name) is given twice"))
                continue
            }
            self.parse(kind, value, type: type, field: "\(field).value", errors: &errors)
        }
        if type == .enumeration, self.allowedValues == nil {
            errors.append(.init(field: "validations", code: "required", message: "an enum attribute needs an allowedValues rule"))
        }
        if let low = self.minLength, let high = self.maxLength, low > high {
            errors.append(.init(field: "validations", code: "invalid", message: "minLength is greater than maxLength"))
        }
    }

    private mutating func parse(_ kind: Kind, _ value: JSONValue, type: AttributeType, field: String, errors: inout [Problem.FieldError]) {
        switch kind {
        case .required:
            guard case .bool(let flag) = value else {
                return errors.append(.init(field: field, code: "invalid", message: "must be true or false"))
            }
            self.required = flag
        case .min, .max:
            let bound: JSONValue?
            switch type {
            case .date, .datetime:
                bound = value.stringValue.flatMap { AttributeCoercion.time($0, dateOnly: type == .date) }.map { _ in value }
            default:
                bound = AttributeCoercion.number(value).map { .number($0) }
            }
            guard let bound else {
                let expected = type == .date || type == .datetime ? "a \(type.rawValue) string" : "a number"
                return errors.append(.init(field: field, code: "invalid", message: "must be \(expected)"))
            }
            if kind == .min { self.min = bound } else { self.max = bound }
        case .minLength, .maxLength:
            guard case .integer(let number) = value, (0...100_000).contains(number) else {
                return errors.append(.init(field: field, code: "invalid", message: "must be a whole number from 0 to 100000"))
            }
            if kind == .minLength { self.minLength = Int(number) } else { self.maxLength = Int(number) }
        case .regex:
            // PostgreSQL compiles it when the definition is saved (`AttributePatterns`).
            guard let pattern = value.stringValue, (1...500).contains(pattern.count) else {
                return errors.append(.init(field: field, code: "invalid_regex", message: "must be a regular expression of 1 to 500 characters"))
            }
            self.regex = pattern
        case .allowedValues:
            guard case .array(let items) = value, (1...1000).contains(items.count) else {
                return errors.append(.init(field: field, code: "invalid", message: "must be a list of 1 to 1000 strings"))
            }
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count, strings.allSatisfy({ (1...200).contains($0.count) }), Set(strings).count == strings.count else {
                return errors.append(.init(field: field, code: "invalid", message: "must list distinct strings of 1 to 200 characters"))
            }
            self.allowedValues = strings
        }
    }
}
