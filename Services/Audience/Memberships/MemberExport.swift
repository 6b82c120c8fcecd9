import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The members of a group or segment as CSV, read in id order a thousand at a time (each
/// page a keyset query of its own), so memory stays flat however many there are.
struct MemberExport: Sendable {
    let table: MembershipTable
    let owner: EntityID
    let applicationID: EntityID
    let client: PostgresClient
    static let batchSize = 1_000
    static let header = ["id", "email", "phone", "username", "firstName", "lastName", "type", "status", "createdAt", "addedAt"]

    func write(to writer: inout any ResponseBodyWriter, logger: Logger) async throws {
        try await writer.write(ByteBuffer(string: CSVLine.make(Self.header)))
        var after: EntityID?
        while true {
            let keyset: SQLFragment = after.map { "AND m.user_id > \($0)" } ?? ""
            let select: SQLFragment = """
                SELECT p.user_id, p.email, p.phone, p.username, p.first_name, p.last_name, p.type, p.status, p.created_at, m.added_at
                FROM \(identifier: self.table.table) m
                JOIN user_projection p ON p.application_id = m.application_id AND p.user_id = m.user_id
                WHERE m.application_id = \(self.applicationID) AND m.\(identifier: self.table.ownerColumn) = \(self.owner) \(keyset)
                ORDER BY m.user_id LIMIT \(Self.batchSize)
                """
            var chunk = ""
            var count = 0
            let rows = try await self.client.query(select.query(), logger: logger)
                .decode((EntityID, String?, String?, String?, String?, String?, String, String, Date, Date).self)
            for try await (id, email, phone, username, first, last, type, status, created, added) in rows {
                chunk += CSVLine.make([
                    id.description, email, phone, username, first, last, type, status, RosterJSON.formatTimestamp(created),
                    RosterJSON.formatTimestamp(added),
                ])
                after = id
                count += 1
            }
            if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
            if count < Self.batchSize { return }
        }
    }
}
