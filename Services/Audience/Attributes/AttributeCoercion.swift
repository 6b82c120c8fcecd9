import Foundation
import RosterProtocol

/// A value ready to store: the canonical JSON the API returns and the typed column it is
/// filtered and sorted on.
struct AttributeStoredValue: Sendable, Equatable {
    var json: JSONValue
    var text: String?
    var number: Double?
    var time: Date?
    var bool: Bool?
    var list: [String]?
}

/// Reading loosely typed input (JSON or CSV text) as numbers, booleans and times.
enum AttributeCoercion {
    static func number(_ raw: JSONValue) -> Double? {
        switch raw {
        case .integer(let value): return Double(value)
        case .number(let value): return value.isFinite ? value : nil
        case .string(let text):
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
            return value
        default: return nil
        }
    }

    static func bool(_ raw: JSONValue) -> Bool? {
        switch raw {
        case .bool(let value): return value
        case .integer(0): return false
        case .integer(1): return true
        case .string(let text):
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// A `YYYY-MM-DD` date (midnight UTC) or, unless `dateOnly`, an RFC 3339 timestamp.
    static func time(_ text: String, dateOnly: Bool) -> Date? {
        if dateOnly {
            guard text.utf8.count == 10, let date = RosterJSON.parseTimestamp(text + "T00:00:00Z"),
                RosterJSON.formatTimestamp(date).hasPrefix(text)  // refuses 2025-02-30
            else { return nil }
            return date
        }
        return RosterJSON.parseTimestamp(text)
    }
}

/// Validates and coerces the values of one definition, by every rule but `regex`: PostgreSQL
/// checks that one on the values coerced here (`AttributePatterns`).
struct AttributeValidator {
    let definition: AttributeDefinition
    /// Longest string value (and list item) in UTF-8 bytes, whatever the rules say: every
    /// string attribute can be made searchable, and an index entry holds at most ~2.7 kB.
    static let maxStringBytes = 2_000
    /// Largest JSON value in bytes.
    static let maxJSONBytes = 16_384

    init(_ definition: AttributeDefinition) {
        self.definition = definition
    }

    private var field: String { "attributes.\(self.definition.slug)" }

    private func error(_ code: String, _ message: String) -> Problem.FieldError {
        .init(field: self.field, code: code, message: "\(self.definition.slug): \(message)")
    }

    /// The value to store, `nil` for JSON null (no value), or the rule it breaks.
    /// `fromText` marks CSV cells, where every value arrives as a string.
    func coerce(_ raw: JSONValue, fromText: Bool = false) -> Result<AttributeStoredValue?, Problem.FieldError> {
        if raw == .null {
            return self.definition.rules.required ? .failure(self.error("required", "a value is required")) : .success(nil)
        }
        let rules = self.definition.rules
        switch self.definition.type {
        case .string, .enumeration:
            guard let text = Self.text(raw) else { return .failure(self.error("invalid_type", "must be a string")) }
            if let problem = self.check(text) { return .failure(problem) }
            return .success(AttributeStoredValue(json: .string(text), text: text))
        case .number:
            guard let number = AttributeCoercion.number(raw) else { return .failure(self.error("invalid_type", "must be a number")) }
            if let low = rules.min.flatMap(AttributeCoercion.number), number < low {
                return .failure(self.error("min", "must be at least \(Self.format(low))"))
            }
            if let high = rules.max.flatMap(AttributeCoercion.number), number > high {
                return .failure(self.error("max", "must be at most \(Self.format(high))"))
            }
            let json: JSONValue = number.rounded() == number && abs(number) < 9e15 ? .integer(Int64(number)) : .number(number)
            return .success(AttributeStoredValue(json: json, number: number))
        case .boolean:
            guard let flag = AttributeCoercion.bool(raw) else { return .failure(self.error("invalid_type", "must be true or false")) }
            return .success(AttributeStoredValue(json: .bool(flag), bool: flag))
        case .date, .datetime:
            let dateOnly = self.definition.type == .date
            guard let text = raw.stringValue?.trimmingCharacters(in: .whitespaces), let time = AttributeCoercion.time(text, dateOnly: dateOnly)
            else {
                return .failure(self.error("invalid_type", dateOnly ? "must be a date (YYYY-MM-DD)" : "must be an RFC 3339 timestamp"))
            }
            if let low = rules.min?.stringValue, let bound = AttributeCoercion.time(low, dateOnly: dateOnly), time < bound {
                return .failure(self.error("min", "must not be before \(low)"))
            }
            if let high = rules.max?.stringValue, let bound = AttributeCoercion.time(high, dateOnly: dateOnly), time > bound {
                return .failure(self.error("max", "must not be after \(high)"))
            }
            let canonical = dateOnly ? text : RosterJSON.formatTimestamp(time)
            return .success(AttributeStoredValue(json: .string(canonical), time: time))
        case .stringList:
            let items: [String]
            switch raw {
            case .array(let values):
                let texts = values.compactMap(Self.text)
                guard texts.count == values.count else { return .failure(self.error("invalid_type", "must be a list of strings")) }
                items = texts
            case .string(let text):
                items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            default:
                return .failure(self.error("invalid_type", "must be a list of strings"))
            }
            guard items.count <= 1000 else { return .failure(self.error("too_large", "may hold at most 1000 items")) }
            if let low = rules.min.flatMap(AttributeCoercion.number), Double(items.count) < low {
                return .failure(self.error("min", "must hold at least \(Self.format(low)) items"))
            }
            if let high = rules.max.flatMap(AttributeCoercion.number), Double(items.count) > high {
                return .failure(self.error("max", "must hold at most \(Self.format(high)) items"))
            }
            for item in items { if let problem = self.check(item) { return .failure(problem) } }
            return .success(AttributeStoredValue(json: .array(items.map { .string($0) }), list: items))
        case .json:
            var value = raw
            if fromText, case .string(let text) = raw, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                value = parsed
            }
            guard let encoded = try? JSONEncoder().encode(value), encoded.count <= Self.maxJSONBytes else {
                return .failure(self.error("too_large", "must be at most \(Self.maxJSONBytes) bytes of JSON"))
            }
            // PostgreSQL's jsonb cannot hold the NUL character.
            guard !String(decoding: encoded, as: UTF8.self).contains("\\u0000") else {
                return .failure(self.error("invalid_type", "must not contain the NUL character"))
            }
            return .success(AttributeStoredValue(json: value))
        }
    }

    /// The string rules, for a string value or one list item.
    private func check(_ text: String) -> Problem.FieldError? {
        let rules = self.definition.rules
        let length = text.count
        if text.contains("\u{0}") { return self.error("invalid_type", "must not contain the NUL character") }
        if text.utf8.count > Self.maxStringBytes { return self.error("max_length", "must be at most \(Self.maxStringBytes) bytes") }
        if let low = rules.minLength, length < low { return self.error("min_length", "must be at least \(low) characters") }
        if let high = rules.maxLength, length > high { return self.error("max_length", "must be at most \(high) characters") }
        if let allowed = rules.allowedValues, !allowed.contains(text) {
            return self.error("allowed_values", "must be one of \(allowed.prefix(20).joined(separator: ", "))")
        }
        return nil
    }

    private static func text(_ raw: JSONValue) -> String? {
        switch raw {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): Self.format(number)
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 9e15 ? String(Int64(number)) : String(number)
    }
}
