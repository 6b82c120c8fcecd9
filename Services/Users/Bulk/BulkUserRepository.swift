import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Bulk changes of users (seeds 000, 003), each one transaction of set-based statements: the
/// rows, their events and (with an `Idempotency-Key`) the answer commit together.
struct BulkUserRepository: Sendable {
    let client: PostgresClient
    let outbox: Outbox

    /// The fields a bulk update may set: the same value for every user makes sense for these only.
    static let fields: [UserInput.CodingKeys] = [.type, .status, .language, .timezone, .country, .city, .department]

    /// What became of one id.
    enum Outcome: String, Encodable, Sendable {
        case updated, unchanged, deleted
        case notFound = "not_found"
    }

    /// Sets the validated fields on every listed user of the application. Users whose type
    /// changes lose their sessions (tokens carry the type); each changed user gets `user.updated`.
    func update(
        _ ids: [EntityID], with input: ValidatedUserInput, applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> [EntityID: Outcome] {
        let ordered = Array(Set(ids)).sorted { $0.description < $1.description }
        // Lock the rows in one order (no deadlock with another bulk change) and see which exist.
        let lock: SQLFragment = """
            SELECT id, type FROM users WHERE application_id = \(applicationID) AND id = ANY(\(ordered)) ORDER BY id FOR UPDATE
            """
        var existing: [EntityID: String] = [:]
        for try await (id, type) in try await connection.query(lock.query(), logger: logger).decode((EntityID, String).self) {
            existing[id] = type
        }
        var sets: [SQLFragment] = []
        var differs: [SQLFragment] = []
        func set(_ column: String, _ value: String?) {
            sets.append("\(identifier: column) = \(value)")
            differs.append("\(identifier: column) IS DISTINCT FROM \(value)")
        }
        let present = input.input.present(outside: [])
        if let type = input.type { set("type", type.rawValue) }
        if let status = input.status {
            set("status", status.rawValue)
            sets += ["ban_reason = NULL", "banned_at = NULL"]
        }
        if present.contains(.language) { set("language", input.profile.language) }
        if present.contains(.timezone) { set("timezone", input.profile.timezone) }
        if present.contains(.country) { set("country", input.profile.country) }
        if present.contains(.city) { set("city", input.profile.city) }
        if present.contains(.department) { set("department", input.profile.department) }
        // Only tags or groups change (audience's part): the users' own rows stay as they are.
        guard !sets.isEmpty else { return Dictionary(uniqueKeysWithValues: Set(ids).map { ($0, existing[$0] == nil ? .notFound : .unchanged) }) }
        let update: SQLFragment = """
            UPDATE users SET \(SQLFragment.joined(sets, separator: ", ")), version = version + 1, updated_at = now_ms()
            WHERE application_id = \(applicationID) AND id = ANY(\(Array(existing.keys))) AND \(SQLFragment.any(differs))
            RETURNING \(UserRepository.columns)
            """
        let updated = try await UserRepository.decode(connection.query(update.query(), logger: logger))
        let events = try updated.map {
            try self.outbox.event(.userUpdated, applicationID: applicationID, subjectID: $0.id, version: $0.version, payload: $0.snapshot)
        }
        try await self.outbox.append(events, on: connection, logger: logger)
        if let type = input.type {
            let retyped = updated.filter { existing[$0.id] != type.rawValue }.map(\.id)
            if !retyped.isEmpty {
                try await connection.query(
                    """
                    UPDATE sessions SET revoked_at = now_ms(), revoked_reason = 'credentials_changed'
                    WHERE application_id = \(applicationID) AND user_id = ANY(\(retyped)) AND revoked_at IS NULL
                    """, logger: logger)
            }
        }
        let changed = Set(updated.map(\.id))
        return Dictionary(
            uniqueKeysWithValues: Set(ids).map { id in
                (id, changed.contains(id) ? .updated : existing[id] == nil ? .notFound : .unchanged)
            })
    }

    /// Deletes the listed users of the application, each with its `user.deleted`.
    func delete(_ ids: [EntityID], applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> [EntityID: Outcome] {
        let deleted = try await self.delete(where: ["id = ANY(\(ids))"], applicationID: applicationID, on: connection, logger: logger)
        let gone = Set(deleted)
        return Dictionary(uniqueKeysWithValues: Set(ids).map { ($0, gone.contains($0) ? .deleted : .notFound) })
    }

    /// Deletes the application's users matching `conditions` (at most `limit`, else nothing
    /// and a 422) with their `user.deleted` events, written set-wise by the statement itself;
    /// returns the deleted ids. The rows are locked in id order first — the order bulk updates
    /// take — and counted before anything is deleted.
    func delete(
        where conditions: [SQLFragment], applicationID: EntityID, limit: Int = 100_000, on connection: PostgresConnection, logger: Logger
    ) async throws -> [EntityID] {
        let matching = SQLFragment.all(["application_id = \(applicationID)"] + conditions)
        let lock: SQLFragment = """
            SELECT count(*)::int FROM (SELECT id FROM users WHERE \(matching) ORDER BY id LIMIT \(limit + 1) FOR UPDATE) AS locked
            """
        let count = try await connection.query(lock.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        guard count <= limit else {
            throw Problem.validation(
                "The filter matches more than \(limit) users; a bulk delete removes at most \(limit). Narrow the filter.",
                errors: [.init(field: "filter", code: "too_many", message: "matches more than \(limit) users")])
        }
        guard count > 0 else { return [] }
        let delete: SQLFragment = "WITH deleted AS (DELETE FROM users WHERE \(matching) RETURNING application_id, id, version), "
            + self.outbox.eventCTEs(
                .userDeleted,
                rows: "SELECT application_id, id, version + 1, jsonb_build_object('id', id, 'applicationId', application_id) FROM deleted",
                versioned: true)
            + " SELECT id FROM deleted"
        var ids: [EntityID] = []
        for try await id in try await connection.query(delete.query(), logger: logger).decode(EntityID.self) { ids.append(id) }
        try await self.outbox.wake(on: connection, logger: logger)
        return ids
    }
}
