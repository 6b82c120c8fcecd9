import Foundation
import Hummingbird
import RosterProtocol

/// Parses list query strings of both dialects into a `ListQuery` (README, "API conventions").
///
/// - paging: `page` + `limit` | `perPage` | `per_page` | `page_size` (and `page_no`), or
///   react-admin's `range=[0,9]`, or `cursor` for keyset paging;
/// - order: `sort=-createdAt,email` or `sort=["createdAt","DESC"]`;
/// - search: `q`, `search`, or `q` inside `filter`;
/// - filters: `filter={"status":"active"}` and/or plain `status=active` parameters.
///
/// Anything malformed or not offered by the endpoint's spec is a 400 naming the parameter.
public enum ListQueryParser {
    static let limitNames = ["limit", "perPage", "per_page", "page_size"]
    static let pageNames = ["page", "page_no"]
    static let pagingNames: Set<String> = Set(limitNames + pageNames + ["range", "cursor"])
    /// Deepest row offset a request may ask for (deeper lists page with `cursor`).
    static let maxOffset = 100_000_000

    public static func parse(_ request: Request, spec: ListQuerySpec) throws -> ListQuery {
        try self.parse(parameters: Self.parameters(of: request), spec: spec)
    }

    /// Parses already-decoded parameters (name → values in order).
    public static func parse(parameters: [(String, String)], spec: ListQuerySpec) throws -> ListQuery {
        if let (name, _) = parameters.first(where: { $0.1.contains("\u{0}") }) {
            throw Self.invalid(name, "must not contain the NUL character")
        }
        if let others = spec.otherParameters {
            let known = Self.pagingNames.union(["sort", "filter", "q", "search"]).union(spec.filters.keys).union(others)
            if let (name, _) = parameters.first(where: { !known.contains($0.0) }) {
                throw Self.unknownFilter(name, spec: spec, parameter: name)
            }
        }
        func value(_ name: String) -> String? { parameters.last(where: { $0.0 == name })?.1 }
        func firstValue(of names: [String]) -> (String, String)? {
            for name in names { if let found = value(name) { return (name, found) } }
            return nil
        }

        var style = ListQuery.Style.envelope
        var limit = spec.defaultLimit
        var page = 1
        var offset = 0

        if let (name, text) = firstValue(of: limitNames) {
            guard let parsed = Int(text), (1...spec.maxLimit).contains(parsed) else {
                throw Self.invalid(name, "must be a whole number from 1 to \(spec.maxLimit)")
            }
            limit = parsed
        }
        if let (name, text) = firstValue(of: pageNames) {
            guard let parsed = Int(text), (1...1_000_000).contains(parsed) else {
                throw Self.invalid(name, "must be a whole number from 1 to 1000000")
            }
            page = parsed
        }
        if let text = value("range") {
            guard let bounds = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)), bounds.count == 2,
                (0...Self.maxOffset).contains(bounds[0]), bounds[1] >= bounds[0], bounds[1] - bounds[0] < spec.maxLimit
            else {
                throw Self.invalid(
                    "range", "must be [first,last] with 0 ≤ first ≤ \(Self.maxOffset), first ≤ last and at most \(spec.maxLimit) items")
            }
            style = .range
            limit = bounds[1] - bounds[0] + 1
            offset = bounds[0]
            page = offset / limit + 1
        } else {
            offset = (page - 1) * limit
        }

        let sort = try Self.parseSort(value("sort"), spec: spec)

        var search: String?
        var filters: [String: FilterValue] = [:]
        if let text = value("filter") {
            guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
                throw Self.invalid("filter", "must be a JSON object such as {\"q\":\"john\"}")
            }
            for (name, raw) in object.sorted(by: { $0.key < $1.key }) {
                if name == "q" {
                    search = try Self.searchText(raw.stringValue, parameter: "filter.q", spec: spec)
                    continue
                }
                guard let type = spec.filters[name] else { throw Self.unknownFilter(name, spec: spec) }
                if raw == .null { continue }
                filters[name] = try Self.filterValue(raw, type: type, parameter: "filter.\(name)")
            }
        }
        for name in ["q", "search"] {
            if let text = value(name) { search = try Self.searchText(text, parameter: name, spec: spec) }
        }
        for (name, type) in spec.filters {
            if let text = value(name) {
                filters[name] = try Self.filterValue(.string(text), type: type, parameter: name)
            }
        }

        var cursor: ListCursor?
        if let text = value("cursor"), !text.isEmpty {
            guard let decoded = ListCursor.decode(text), decoded.values.count == sort.count,
                (0...Self.maxOffset).contains(decoded.position)
            else {
                throw Self.invalid("cursor", "is not a cursor this list issued; start again without it")
            }
            guard decoded.order == sort.map(\.description).joined(separator: ",") else {
                throw Self.invalid("cursor", "belongs to another sort order; keep the sort of the page that returned it")
            }
            guard style == .envelope else { throw Self.invalid("cursor", "cannot be combined with range") }
            cursor = decoded
            offset = 0
            page = decoded.position / limit + 1
        }

        return ListQuery(
            style: style, page: page, limit: limit, offset: offset, sort: sort, search: search, filters: filters, cursor: cursor)
    }

    /// The request's query parameters, names and values percent-decoded (`+` is a space).
    public static func parameters(of request: Request) -> [(String, String)] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            guard let name = parts.first, !name.isEmpty else { return nil }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func parseSort(_ text: String?, spec: ListQuerySpec) throws -> [SortKey] {
        guard let text else { return spec.defaultSort }
        guard !text.isEmpty else { throw Self.invalid("sort", "must name a field, e.g. -createdAt") }
        var keys: [SortKey] = []
        if text.hasPrefix("[") {
            guard let items = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), !items.isEmpty, items.count % 2 == 0
            else {
                throw Self.invalid("sort", "must look like [\"createdAt\",\"DESC\"] or -createdAt")
            }
            for index in stride(from: 0, to: items.count, by: 2) {
                let direction = items[index + 1].uppercased()
                guard direction == "ASC" || direction == "DESC" else {
                    throw Self.invalid("sort", "direction must be ASC or DESC")
                }
                keys.append(SortKey(items[index], descending: direction == "DESC"))
            }
        } else {
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let item = String(part)
                if item.hasPrefix("-") {
                    keys.append(SortKey(String(item.dropFirst()), descending: true))
                } else {
                    keys.append(SortKey(item.hasPrefix("+") ? String(item.dropFirst()) : item))
                }
            }
        }
        for key in keys where spec.sortFields[key.field] == nil {
            let allowed = spec.sortFields.keys.sorted().joined(separator: ", ")
            throw Problem.badRequest(
                "Cannot sort by \"\(key.field)\"; sortable fields: \(allowed).", code: "invalid_sort",
                errors: [.init(field: "sort", code: "invalid_sort", message: "sortable fields: \(allowed)")])
        }
        guard keys.count <= 4, Set(keys.map(\.field)).count == keys.count else {
            throw Self.invalid("sort", "may name up to 4 distinct fields")
        }
        return keys
    }

    static func searchText(_ text: String?, parameter: String, spec: ListQuerySpec) throws -> String? {
        guard spec.searchable else { throw Self.invalid(parameter, "search is not offered by this list") }
        guard let text else { throw Self.invalid(parameter, "must be a string") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 200 else { throw Self.invalid(parameter, "must be at most 200 characters") }
        return trimmed.isEmpty ? nil : trimmed
    }

    static func filterValue(_ raw: JSONValue, type: ListQuerySpec.ValueType, parameter: String) throws -> FilterValue {
        switch (type, raw) {
        case (.string, .string(let text)):
            guard text.count <= 500 else { throw Self.invalid(parameter, "must be at most 500 characters") }
            return .string(text)
        case (.choice(let values), .string(let text)):
            guard values.contains(text) else { throw Self.invalid(parameter, "must be \(type.expectation)") }
            return .string(text)
        case (.boolean, .bool(let flag)):
            return .boolean(flag)
        case (.boolean, .string(let text)):
            guard let flag = QueryText.flag(text) else { throw Self.invalid(parameter, "must be true or false") }
            return .boolean(flag)
        case (.integer, .integer(let number)):
            return .integer(Int(number))
        case (.integer, .string(let text)):
            guard let number = Int(text) else { throw Self.invalid(parameter, "must be a whole number") }
            return .integer(number)
        case (.id, .string(let text)):
            guard let id = EntityID(text) else { throw Self.invalid(parameter, "must be an id (UUID)") }
            return .id(id)
        case (.timestamp, .string(let text)):
            guard let date = RosterJSON.parseTimestamp(text) ?? Self.parseDay(text) else {
                throw Self.invalid(parameter, "must be an RFC 3339 timestamp or a YYYY-MM-DD date")
            }
            return .timestamp(date)
        case (.choices(let values), _):
            let items = try Self.listItems(raw, parameter: parameter)
            guard !items.isEmpty, items.allSatisfy(values.contains) else { throw Self.invalid(parameter, "must be \(type.expectation)") }
            return .strings(items)
        case (.strings, _), (.ids, _):
            let items = try Self.listItems(raw, parameter: parameter)
            if type == .strings { return .strings(items) }
            let ids = items.compactMap(EntityID.init)
            guard ids.count == items.count else { throw Self.invalid(parameter, "must list ids (UUIDs)") }
            return .ids(ids)
        default:
            throw Self.invalid(parameter, "must be \(type.expectation)")
        }
    }

    static func listItems(_ raw: JSONValue, parameter: String) throws -> [String] {
        let items: [String]
        switch raw {
        case .string(let text):
            items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .array(let values):
            items = try values.map { value in
                guard let text = value.stringValue else { throw Self.invalid(parameter, "must be a list of strings") }
                return text
            }
        default:
            throw Self.invalid(parameter, "must be a comma-separated list or a JSON array")
        }
        guard items.count <= 100 else { throw Self.invalid(parameter, "may list at most 100 values") }
        return items
    }

    static func parseDay(_ text: String) -> Date? {
        guard text.utf8.count == 10 else { return nil }
        return RosterJSON.parseTimestamp(text + "T00:00:00Z")
    }

    static func invalid(_ parameter: String, _ message: String) -> Problem { .invalidQuery(parameter, message) }

    static func unknownFilter(_ name: String, spec: ListQuerySpec, parameter: String? = nil) -> Problem {
        let allowed = spec.filters.keys.sorted().joined(separator: ", ")
        return .badRequest(
            "Unknown filter \"\(name)\"; filters of this list: \(allowed.isEmpty ? "none" : allowed).", code: "invalid_filter",
            errors: [.init(field: parameter ?? "filter.\(name)", code: "invalid_filter", message: "unknown filter")])
    }
}
