import Foundation
import RosterProtocol

extension ListQuery {
    /// `ORDER BY <sort keys>, <id>`; the id makes every order total, which keyset paging needs.
    public func orderClause(_ spec: ListQuerySpec) -> SQLFragment {
        var parts: [SQLFragment] = self.sort.map { key in
            spec.sortFields[key.field]!.sql + (key.descending ? " DESC" : " ASC")
        }
        let idDescending = self.sort.last?.descending ?? false
        parts.append("\(identifier: spec.idColumn)" + (idDescending ? " DESC" : " ASC"))
        return "ORDER BY " + SQLFragment.joined(parts, separator: ", ")
    }

    /// The condition "after the cursor's row" (`TRUE` without a cursor).
    ///
    /// Written as an OR of prefixes (`a > x OR (a = x AND b < y) ...`), which is right for any
    /// mix of directions, where a row comparison `(a, b) > (x, y)` is not.
    public func keysetCondition(_ spec: ListQuerySpec) throws -> SQLFragment {
        guard let cursor = self.cursor else { return "TRUE" }
        var columns: [(sql: SQLFragment, descending: Bool, nullable: Bool, value: SQLFragment)] = []
        for (index, key) in self.sort.enumerated() {
            let field = spec.sortFields[key.field]!
            let value = try Self.bind(cursor.values[index], type: field.type)
            columns.append((field.sql, key.descending, field.nullable, field.lowercased ? "lower(" + value + ")" : value))
        }
        columns.append(("\(identifier: spec.idColumn)", self.sort.last?.descending ?? false, false, "\(cursor.lastID)"))
        var alternatives: [SQLFragment] = []
        for index in columns.indices {
            let equalPrefix: [SQLFragment] = columns[..<index].map { $0.sql + " = " + $0.value }
            let current = columns[index]
            alternatives.append(SQLFragment.all(equalPrefix + [current.sql + (current.descending ? " < " : " > ") + current.value]))
            // A cursor always holds values (pages ending on a missing one issue none), and
            // ascending orders put missing values last: those rows still follow.
            if current.nullable, !current.descending {
                alternatives.append(SQLFragment.all(equalPrefix + [current.sql + " IS NULL"]))
            }
        }
        return SQLFragment.any(alternatives)
    }

    /// `LIMIT <limit + 1> OFFSET <offset>`: one extra row tells whether a next page exists.
    public var pageClause: SQLFragment {
        "LIMIT \(self.limit + 1) OFFSET \(self.offset)"
    }

    /// The page made of fetched rows (`limit + 1` at most) and the total.
    public func page<Item: KeysetPageable & Encodable & Sendable>(from rows: [Item], total: Int) -> ListPage<Item> {
        let hasNext = rows.count > self.limit
        let items = Array(rows.prefix(self.limit))
        var nextCursor: String?
        if hasNext, self.style == .envelope, let last = items.last {
            let values = self.sort.map { last.sortValue(for: $0.field) }
            if values.allSatisfy({ $0 != nil }) {
                let position = (self.cursor?.position ?? self.offset) + items.count
                nextCursor = ListCursor(
                    order: self.sort.map(\.description).joined(separator: ","), values: values.map { $0! },
                    lastID: last.id, position: position
                ).encoded()
            }
        }
        return ListPage(items: items, total: total, hasNext: hasNext, nextCursor: nextCursor)
    }

    private static func bind(_ text: String, type: ListQuerySpec.ValueType) throws -> SQLFragment {
        let bad = Problem.badRequest("The cursor does not match this list; start again without it.", code: "invalid_query")
        switch type {
        case .timestamp:
            // Bound as text: PostgreSQL parses it exactly, where a Date could be off by a microsecond.
            guard RosterJSON.parseTimestamp(text) != nil else { throw bad }
            return "\(text)::timestamptz"
        case .integer:
            guard let number = Int(text) else { throw bad }
            return "\(number)"
        case .number:
            guard let number = Double(text), number.isFinite else { throw bad }
            return "\(number)"
        case .id:
            guard let id = EntityID(text) else { throw bad }
            return "\(id)"
        case .boolean:
            return "\(text == "true")"
        case .string, .choice, .choices, .strings, .ids:
            return "\(text)"
        }
    }
}

/// One page of a list, before it is rendered in the request's dialect.
public struct ListPage<Item: Encodable & Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var hasNext: Bool
    public var nextCursor: String?

    public init(items: [Item], total: Int, hasNext: Bool, nextCursor: String?) {
        self.items = items
        self.total = total
        self.hasNext = hasNext
        self.nextCursor = nextCursor
    }
}
