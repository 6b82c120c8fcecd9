import Logging
import PostgresNIO

extension ListQuery {
    /// One page of a list and its total: `SELECT columns FROM source WHERE conditions`, in the
    /// query's order after its cursor, plus the count of every row the conditions match.
    ///
    /// `columns` and `source` are trusted SQL (a table or a join); values in `conditions` are binds.
    public func load<Item: KeysetPageable & Encodable & Sendable>(
        _ columns: SQLFragment, from source: SQLFragment, where conditions: [SQLFragment], spec: ListQuerySpec,
        client: PostgresClient, logger: Logger, decode: (PostgresRowSequence) async throws -> [Item]
    ) async throws -> ListPage<Item> {
        let filtered = SQLFragment.all(conditions)
        let select: SQLFragment = """
            SELECT \(columns) FROM \(source) WHERE \(filtered) AND \(try self.keysetCondition(spec))
            \(self.orderClause(spec)) \(self.pageClause)
            """
        let items = try await decode(client.query(select.query(), logger: logger))
        let count: SQLFragment = "SELECT count(*) FROM \(source) WHERE \(filtered)"
        let total = try await client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        return self.page(from: items, total: total)
    }
}
