import Logging
import PostgresNIO

extension ListQuery {
    /// One page of a list and its total: `SELECT columns FROM source WHERE conditions`, in the
    /// query's order after its cursor, plus the count of every row the conditions match.
    ///
    /// `columns` and `source` are trusted SQL (a table or a join); values in `conditions` are binds.
    /// `total`, when given, is a cheaper query answering the same count (kept counters).
    public func load<Item: KeysetPageable & Encodable & Sendable>(
        _ columns: SQLFragment, from source: SQLFragment, where conditions: [SQLFragment], spec: ListQuerySpec,
        total counting: SQLFragment? = nil, client: PostgresClient, logger: Logger,
        decode: (PostgresRowSequence) async throws -> [Item]
    ) async throws -> ListPage<Item> {
        let filtered = SQLFragment.all(conditions)
        let select: SQLFragment = """
            SELECT \(columns) FROM \(source) WHERE \(filtered) AND \(try self.keysetCondition(spec))
            \(self.orderClause(spec)) \(self.pageClause)
            """
        let items = try await decode(client.query(select.query(), logger: logger))
        let count: SQLFragment = counting ?? "SELECT count(*) FROM \(source) WHERE \(filtered)"
        let total = try await client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        return self.page(from: items, total: total)
    }
}

extension ListQuery {
    /// `load` with the total counted by the page's own statement (`count(*) OVER ()`): one
    /// scan of the matching rows instead of two, which pays when finding them is the costly
    /// part (a text search). A page walked in index order would lose its early stop, so
    /// callers use it for such queries only. `source` is one table. With a cursor, or past
    /// the last row, the total is counted apart.
    public func loadCountingAlong<Item: KeysetPageable & Encodable & Sendable>(
        _ columns: SQLFragment, from source: SQLFragment, where conditions: [SQLFragment], spec: ListQuerySpec,
        client: PostgresClient, logger: Logger, row decode: @escaping @Sendable (PostgresRow) throws -> Item
    ) async throws -> ListPage<Item> {
        let decodeAll: (PostgresRowSequence) async throws -> [Item] = { rows in
            var items: [Item] = []
            for try await row in rows { items.append(try decode(row)) }
            return items
        }
        guard self.cursor == nil else {
            return try await self.load(columns, from: source, where: conditions, spec: spec, client: client, logger: logger, decode: decodeAll)
        }
        // The count runs in a subquery without order or limit, so the matches are found the
        // cheapest way (a bitmap scan) and sorted after: with the window beside the ORDER BY
        // ... LIMIT, the planner prices walking an index in order as if it could stop early.
        let select: SQLFragment = """
            SELECT \(columns), matched_total FROM (
                SELECT *, count(*) OVER () AS matched_total FROM \(source) WHERE \(SQLFragment.all(conditions))
            ) AS matched
            \(self.orderClause(spec)) \(self.pageClause)
            """
        var items: [Item] = []
        var total: Int?
        for try await row in try await client.query(select.query(), logger: logger) {
            items.append(try decode(row))
            if total == nil {
                let cells = row.makeRandomAccess()
                total = try cells[cells.count - 1].decode(Int.self)
            }
        }
        guard let total else {
            return try await self.load(columns, from: source, where: conditions, spec: spec, client: client, logger: logger, decode: decodeAll)
        }
        return self.page(from: items, total: total)
    }
}
