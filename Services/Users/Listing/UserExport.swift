import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// `GET /api/v1/users/export` (seeds 000, 003): the users the list's own filters select, as
/// CSV, a JSON array or NDJSON, with the chosen fields; PostgreSQL writes each line. Read in creation order five thousand
/// at a time, each batch a keyset query of its own on the creation index, written out before
/// the next is read: memory stays flat in the number of users.
struct UserExport: Sendable {
    enum Format: String, CaseIterable, Sendable {
        case csv, json, ndjson

        var contentType: String {
            switch self {
            case .csv: "text/csv; charset=utf-8"
            case .json: "application/json; charset=utf-8"
            case .ndjson: "application/x-ndjson; charset=utf-8"
            }
        }
    }

    /// RFC 3339 in UTC with milliseconds, as the API shows timestamps.
    static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// The exportable fields and the SQL of each (the API's names; timestamps as the API shows them).
    static let fields: KeyValuePairs<String, String> = [
        "id": "id", "email": "email", "phone": "phone", "username": "username",
        "firstName": "first_name", "lastName": "last_name", "profileImage": "profile_image",
        "type": "type", "status": "status", "language": "language",
        "timezone": "timezone", "country": "country", "city": "city",
        "department": "department", "sex": "sex", "birthDate": "to_char(birth_date, 'YYYY-MM-DD')",
        "emailVerified": "email_verified", "phoneVerified": "phone_verified",
        "lastLoginAt": timestamp("last_login_at"),
        "lastActivityAt": timestamp("last_activity_at"),
        "createdAt": timestamp("created_at"),
        "updatedAt": timestamp("updated_at"),
    ]
    /// Fields whose values never need CSV quotes or a formula guard (ids, fixed words,
    /// booleans, dates and timestamps): written as they are, without `csv_field`.
    static let plainFields: Set<String> = [
        "id", "type", "status", "emailVerified", "phoneVerified", "birthDate", "lastLoginAt", "lastActivityAt", "createdAt", "updatedAt",
    ]
    static let defaultFields = ["id", "email", "phone", "username", "firstName", "lastName", "type", "status", "createdAt"]
    static let batchSize = 5_000

    let format: Format
    let names: [String]
    let conditions: [SQLFragment]
    let client: PostgresClient

    /// The `format` and `fields` parameters, checked: a 400 names what is unknown.
    static func parse(format text: String?, fields list: String?) throws -> (Format, [String]) {
        guard let format = Format(rawValue: text ?? "csv") else {
            throw Problem.invalidQuery("format", "must be csv, json or ndjson")
        }
        let names = list.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Self.defaultFields
        let known = Set(Self.fields.map(\.key))
        let unknown = names.filter { !known.contains($0) }
        guard !names.isEmpty, unknown.isEmpty, Set(names).count == names.count else {
            throw Problem.invalidQuery(
                "fields", "lists distinct fields among \(Self.fields.map(\.key).joined(separator: ", "))"
                    + (unknown.isEmpty ? "" : "; unknown: \(unknown.joined(separator: ", "))"))
        }
        return (format, names)
    }

    /// One output line per user, made by PostgreSQL: fields joined by commas (through
    /// `csv_field` unless plain), or a `json_build_object(...)` (booleans stay booleans,
    /// missing values are null).
    var lineSQL: SQLFragment {
        let chosen = self.names.map { name in (name, Self.fields.first { $0.key == name }!.value) }
        switch self.format {
        case .csv:
            let cells = chosen.map { name, sql in
                Self.plainFields.contains(name) ? "coalesce((\(sql))::text, '')" : "csv_field((\(sql))::text)"
            }
            return SQLFragment(stringLiteral: cells.joined(separator: " || ',' || "))
        case .json, .ndjson:
            let pairs = chosen.map { name, sql in "'\(name)', \(sql)" }
            return SQLFragment(stringLiteral: "json_build_object(\(pairs.joined(separator: ", ")))::text")
        }
    }

    func write(to writer: inout any ResponseBodyWriter, logger: Logger) async throws {
        let (separator, terminator) =
            switch self.format {
            case .csv: ("", "\r\n")
            case .json: (",", "")
            case .ndjson: ("", "\n")
            }
        switch self.format {
        case .csv: try await writer.write(ByteBuffer(string: CSVLine.make(self.names)))
        case .json: try await writer.write(ByteBuffer(string: "["))
        case .ndjson: break
        }
        // The last row's creation instant (as PostgreSQL's own text, exact) and id.
        var after: (String, EntityID)?
        var first = true
        while true {
            let keyset: [SQLFragment] = after.map { ["(created_at, id) > (\($0.0)::timestamptz, \($0.1))"] } ?? []
            let select: SQLFragment = """
                SELECT \(self.lineSQL), created_at::text, id FROM users WHERE \(SQLFragment.all(self.conditions + keyset))
                ORDER BY users.created_at, users.id LIMIT \(Self.batchSize)
                """
            var chunk = ByteBuffer()
            var count = 0
            var last: PostgresRow?
            for try await row in try await self.client.query(select.query(), logger: logger) {
                // The line's bytes go out as PostgreSQL sent them (text is UTF-8 on the wire),
                // without becoming a String; only the batch's last row is decoded, for the keyset.
                last = row
                count += 1
                var cells = row.makeIterator()
                guard var line = cells.next()?.bytes else { continue }
                if !first { chunk.writeString(separator) }
                chunk.writeBuffer(&line)
                chunk.writeString(terminator)
                first = false
            }
            if chunk.readableBytes > 0 { try await writer.write(chunk) }
            if count < Self.batchSize { break }
            if let (_, created, id) = try last?.decode((String, String, EntityID).self) { after = (created, id) }
        }
        if self.format == .json { try await writer.write(ByteBuffer(string: "]")) }
    }
}
