import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// One row of a bulk attribute update: who (a key) and which values.
struct BulkAttributeRow: Sendable {
    var line: Int
    var keyField: UserKey.Field
    var keyValue: String
    var attributes: [String: JSONValue]
}

/// The inline form of `PATCH /user-attributes`: `{"items": [{"userId"|"email"|"phone", "attributes": {...}}]}`.
struct BulkAttributeItems: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        var userId: String?
        var email: String?
        var phone: String?
        var attributes: [String: JSONValue]
    }

    var items: [Item]

    /// The rows to stage, or 422 naming the items without exactly one key.
    func rows() throws -> [BulkAttributeRow] {
        guard (1...MembershipTable.maxIDs).contains(self.items.count) else {
            throw Problem.validation(
                "items must hold 1 to \(MembershipTable.maxIDs) entries.",
                errors: [.init(field: "items", code: "invalid", message: "1 to \(MembershipTable.maxIDs) entries")])
        }
        var errors: [Problem.FieldError] = []
        var rows: [BulkAttributeRow] = []
        rows.reserveCapacity(self.items.count)
        for (index, item) in self.items.enumerated() {
            let keys: [(UserKey.Field, String)] = [(.userId, item.userId), (.email, item.email), (.phone, item.phone)]
                .compactMap { field, value in value.map { (field, $0) } }
            guard keys.count == 1, !item.attributes.isEmpty, item.attributes.count <= 100 else {
                if errors.count < 100 {
                    errors.append(
                        .init(
                            field: "items[\(index)]", code: "invalid",
                            message: "needs exactly one of userId, email, phone and 1 to 100 attributes"))
                }
                continue
            }
            rows.append(BulkAttributeRow(line: index + 1, keyField: keys[0].0, keyValue: keys[0].1, attributes: item.attributes))
        }
        guard errors.isEmpty else { throw Problem.validation("Some items are not valid; nothing was queued.", errors: errors) }
        return rows
    }
}

/// Stores the rows of a bulk attribute update for its job, in batches, in the caller's transaction.
enum BulkAttributeStaging {
    /// Values of `encrypted` attributes are sealed before they are staged.
    static func store(
        _ rows: [BulkAttributeRow], jobID: EntityID, applicationID: EntityID, encrypted: Set<String>, sealer: AttributeSealer,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        let encoder = JSONEncoder()
        let attributes = try rows.map { row in
            var values = row.attributes
            for slug in encrypted where values[slug] != nil {
                values[slug] = try sealer.sealStaged(values[slug]!, place: Self.place(jobID: jobID, line: row.line, slug: slug))
            }
            return String(decoding: try encoder.encode(values), as: UTF8.self)
        }
        let insert: SQLFragment = """
            INSERT INTO bulk_attribute_rows (job_id, line, application_id, key_field, key_value, attributes)
            SELECT \(jobID), u.line, \(applicationID), u.key_field, u.key_value, u.attributes::jsonb
            FROM unnest(\(rows.map(\.line))::int8[], \(rows.map(\.keyField.rawValue))::text[], \(rows.map(\.keyValue))::text[],
                \(attributes)::text[]) AS u(line, key_field, key_value, attributes)
            """
        try await connection.query(insert.query(), logger: logger)
    }

    /// What a staged encrypted value is sealed for.
    static func place(jobID: EntityID, line: Int, slug: String) -> String { "bulk/\(jobID)/\(line)/\(slug)" }

    /// Reads a CSV upload: a header naming the key column (`userId`/`id`/`email`/`phone`) and
    /// attribute slugs; an empty cell leaves that value unchanged. Unknown slugs are refused up front.
    static func storeCSV(
        _ upload: CSVUpload, context: RosterRequestContext, slugs: Set<String>, encrypted: Set<String>, sealer: AttributeSealer,
        jobID: EntityID, applicationID: EntityID, on connection: PostgresConnection
    ) async throws -> Int {
        var header: (keyIndex: Int, keyField: UserKey.Field, slugs: [(Int, String)])?
        var total = 0
        try await upload.read { records in
            var rows: [BulkAttributeRow] = []
            for record in records {
                guard let columns = header else {
                    header = try Self.header(record.fields, slugs: slugs)
                    continue
                }
                var attributes: [String: JSONValue] = [:]
                for (index, slug) in columns.slugs where index < record.fields.count && !record.fields[index].isEmpty {
                    attributes[slug] = .string(record.fields[index])
                }
                let key = columns.keyIndex < record.fields.count ? record.fields[columns.keyIndex] : ""
                guard !attributes.isEmpty else { continue }
                rows.append(BulkAttributeRow(line: record.line, keyField: columns.keyField, keyValue: key, attributes: attributes))
            }
            total += rows.count
            try await Self.store(
                rows, jobID: jobID, applicationID: applicationID, encrypted: encrypted, sealer: sealer, on: connection, logger: context.logger)
        }
        guard header != nil else { throw Problem.badRequest("The CSV file is empty; it needs a header row.", code: "malformed_csv") }
        return total
    }

    private static func header(_ cells: [String], slugs: Set<String>) throws -> (Int, UserKey.Field, [(Int, String)]) {
        guard let keyIndex = cells.firstIndex(where: { UserKey.headerField($0) != nil }), let field = UserKey.headerField(cells[keyIndex]) else {
            throw Problem.badRequest("The CSV header must name a userId, email or phone column.", code: "malformed_csv")
        }
        var columns: [(Int, String)] = []
        var unknown: [String] = []
        for (index, cell) in cells.enumerated() where index != keyIndex {
            let slug = cell.trimmingCharacters(in: .whitespaces)
            if slugs.contains(slug) { columns.append((index, slug)) } else { unknown.append(slug) }
        }
        guard unknown.isEmpty else {
            throw Problem.validation(
                "The CSV header names unknown attributes: \(unknown.prefix(20).joined(separator: ", ")).",
                errors: unknown.prefix(20).map { .init(field: "attributes.\($0)", code: "unknown_attribute", message: "no such attribute") })
        }
        guard !columns.isEmpty else { throw Problem.badRequest("The CSV header names no attribute column.", code: "malformed_csv") }
        return (keyIndex, field, columns)
    }
}
