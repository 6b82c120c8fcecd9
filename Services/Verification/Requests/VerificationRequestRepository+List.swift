import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

extension VerificationRequestRepository {
    /// Seed 001's list: every filter and sort has an index (migration 0001).
    static let listSpec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "expiresAt": .init(column: "expires_at", type: .timestamp),
            "requestTypeCode": .init(column: "type_code", type: .string),
            "requestTypeName": .lowercased("type_name"),
            "username": .lowercased("username", nullable: true),
            "email": .lowercased("email", nullable: true),
            "attempts": .init(column: "attempts", type: .integer),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: [
            "requestTypeCode": .choices(VerificationCodes.Kind.allCases.map(\.rawValue)),
            "requestTypeName": .string,
            "username": .string,
            "email": .string,
            "userId": .id,
            "isActive": .boolean,
            "status": .choice(["active", "used", "locked", "superseded", "expired"]),
        ],
        searchable: true)

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<VerificationRequest> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .strings(let codes) = query.filter("requestTypeCode") { conditions.append("type_code = ANY(\(codes))") }
        if case .string(let name) = query.filter("requestTypeName") { conditions.append("lower(type_name) = lower(\(name))") }
        if case .string(let username) = query.filter("username") { conditions.append("lower(username) = lower(\(username))") }
        if case .string(let email) = query.filter("email") { conditions.append("lower(email) = lower(\(email))") }
        if case .id(let user) = query.filter("userId") { conditions.append("user_id = \(user)") }
        if case .boolean(let active) = query.filter("isActive") {
            conditions.append(active ? "(status = 'active' AND expires_at > now())" : "NOT (status = 'active' AND expires_at > now())")
        }
        if case .string(let status) = query.filter("status") {
            switch status {
            case "active": conditions.append("(status = 'active' AND expires_at > now())")
            case "expired": conditions.append("(status = 'active' AND expires_at <= now())")
            default: conditions.append("status = \(status)")
            }
        }
        if let search = query.search, !search.isEmpty { conditions.append(.contains(search, in: "search_document")) }
        return try await query.load(
            VerificationRequest.columns, from: "verification_requests", where: conditions, spec: Self.listSpec, client: self.client,
            logger: logger, decode: { rows in try await rows.map { try VerificationRequest(row: $0) }.array() })
    }

    /// The requests `ids`, as the list shows them.
    func requests(_ ids: [EntityID], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws
        -> [VerificationRequest]
    {
        let select: SQLFragment = """
            SELECT \(VerificationRequest.columns) FROM verification_requests
            WHERE application_id = \(applicationID) AND id = ANY(\(ids)) ORDER BY created_at, id
            """
        var requests: [VerificationRequest] = []
        for try await row in try await connection.query(select.query(), logger: logger) { requests.append(try VerificationRequest(row: row)) }
        return requests
    }

    /// One request, as the list shows it; `nil` when the application has no such request.
    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> VerificationRequest? {
        let select: SQLFragment = "SELECT \(VerificationRequest.columns) FROM verification_requests WHERE application_id = \(applicationID) AND id = \(id)"
        for try await row in try await self.client.query(select.query(), logger: logger) { return try VerificationRequest(row: row) }
        return nil
    }
}
