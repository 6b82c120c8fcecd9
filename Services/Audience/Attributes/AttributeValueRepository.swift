import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// User attribute values: single reads and writes, and the set-wise upsert of bulk jobs. Every
/// write re-evaluates the users it touched against dynamic groups and segments in its transaction.
struct AttributeValueRepository: Sendable {
    let client: PostgresClient
    let sealer: AttributeSealer
    let members: RuleMembers

    /// One value to write: plain values keep their canonical JSON, encrypted ones are sealed here.
    struct Write: Sendable {
        var userID: EntityID
        var definition: AttributeDefinition
        var value: AttributeStoredValue
    }

    /// The user's stored values, by definition id.
    func stored(userID: EntityID, applicationID: EntityID, definitionIDs: [EntityID]? = nil, logger: Logger) async throws
        -> [EntityID: StoredAttributeRow]
    {
        var select: SQLFragment = """
            SELECT definition_id, value, sealed, key_id, updated_by, updated_at FROM attribute_values
            WHERE application_id = \(applicationID) AND user_id = \(userID)
            """
        if let definitionIDs { select = select + " AND definition_id = ANY(\(definitionIDs))" }
        var rows: [EntityID: StoredAttributeRow] = [:]
        for try await (definition, value, sealed, keyID, updatedBy, updatedAt) in try await self.client.query(select.query(), logger: logger)
            .decode((EntityID, JSONValue?, ByteBuffer?, String?, String, Date).self)
        {
            rows[definition] = StoredAttributeRow(
                value: value, sealed: sealed.map { Data($0.readableBytesView) }, keyID: keyID, updatedBy: updatedBy,
                updatedAt: updatedAt)
        }
        return rows
    }

    /// The API view of `definition` for a user: value, default, or masked.
    func view(_ definition: AttributeDefinition, row: StoredAttributeRow?, userID: EntityID, reveal: Bool) throws -> UserAttribute {
        var value = definition.defaultValue ?? .null
        var masked = false
        if let row {
            if let sealed = row.sealed, let keyID = row.keyID {
                if reveal {
                    do {
                        value = try self.sealer.open(
                            sealed, keyID: keyID, row: .init(applicationID: definition.applicationID, userID: userID, definitionID: definition.id))
                    } catch {
                        throw Problem(
                            status: 503, code: "key_unavailable", title: "Key unavailable",
                            detail: "The value was sealed with key \(keyID), which this service cannot open; configure it again.")
                    }
                } else {
                    value = .null
                    masked = true
                }
            } else {
                value = row.value ?? .null
            }
        }
        return UserAttribute(
            definitionId: definition.id, slug: definition.slug, name: definition.name, type: definition.type, value: value,
            isDefault: row == nil, encrypted: definition.encrypted, masked: masked, customerEditable: definition.customerEditable,
            pinned: definition.pinned, updatedBy: row?.updatedBy, updatedAt: row?.updatedAt)
    }

    /// Writes values set-wise (insert or replace); rows of unknown users are skipped and returned.
    ///
    /// Plain values go in as one JSON array and the typed columns are derived from it in SQL, so
    /// they always agree with the JSON. Rows are sorted so concurrent writers lock in one order.
    @discardableResult
    func upsert(_ writes: [Write], applicationID: EntityID, by writer: String, on connection: PostgresConnection, logger: Logger)
        async throws -> Set<EntityID>
    {
        var latest: [String: Write] = [:]
        for write in writes { latest["\(write.userID)/\(write.definition.id)"] = write }
        try await self.lockDefinitions(Array(latest.values.map(\.definition)), applicationID: applicationID, on: connection, logger: logger)
        let sorted = latest.values.sorted { ($0.userID, $0.definition.id) < ($1.userID, $1.definition.id) }
        let plain = sorted.filter { !$0.definition.encrypted }
        let sealed = sorted.filter(\.definition.encrypted)
        var written: Set<EntityID> = []
        if !plain.isEmpty {
            let insert: SQLFragment = """
                INSERT INTO attribute_values (application_id, user_id, definition_id, value, value_text, value_number, value_time,
                    value_bool, value_list, updated_by, updated_at)
                SELECT \(applicationID), u.user_id, u.definition_id, v.value,
                    CASE WHEN d.type IN ('string', 'enum') THEN v.value #>> '{}' END,
                    CASE WHEN d.type = 'number' THEN (v.value #>> '{}')::double precision END,
                    CASE WHEN d.type = 'date' THEN ((v.value #>> '{}') || 'T00:00:00Z')::timestamptz
                         WHEN d.type = 'datetime' THEN (v.value #>> '{}')::timestamptz END,
                    CASE WHEN d.type = 'boolean' THEN (v.value #>> '{}')::boolean END,
                    CASE WHEN d.type = 'string_list' THEN ARRAY(SELECT jsonb_array_elements_text(v.value)) END,
                    \(writer), now_ms()
                FROM unnest(\(plain.map(\.userID)), \(plain.map(\.definition.id))) WITH ORDINALITY AS u(user_id, definition_id, n)
                JOIN jsonb_array_elements(\(JSONValue.array(plain.map(\.value.json)))) WITH ORDINALITY AS v(value, n) ON v.n = u.n
                JOIN attribute_definitions d ON d.application_id = \(applicationID) AND d.id = u.definition_id
                JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = u.user_id
                ORDER BY u.n
                ON CONFLICT (application_id, user_id, definition_id) DO UPDATE SET
                    value = EXCLUDED.value, value_text = EXCLUDED.value_text, value_number = EXCLUDED.value_number,
                    value_time = EXCLUDED.value_time, value_bool = EXCLUDED.value_bool, value_list = EXCLUDED.value_list,
                    sealed = NULL, key_id = NULL, updated_by = EXCLUDED.updated_by, updated_at = now_ms()
                RETURNING user_id
                """
            for try await id in try await connection.query(insert.query(), logger: logger).decode(EntityID.self) { written.insert(id) }
        }
        if !sealed.isEmpty {
            var boxes: [String] = []
            var keys: [String] = []
            for write in sealed {
                let row = AttributeSealer.Row(applicationID: applicationID, userID: write.userID, definitionID: write.definition.id)
                let (box, keyID) = try self.sealer.seal(write.value.json, row: row)
                boxes.append(box.base64EncodedString())
                keys.append(keyID)
            }
            let insert: SQLFragment = """
                INSERT INTO attribute_values (application_id, user_id, definition_id, sealed, key_id, updated_by, updated_at)
                SELECT \(applicationID), u.user_id, u.definition_id, decode(u.box, 'base64'), u.key_id, \(writer), now_ms()
                FROM unnest(\(sealed.map(\.userID)), \(sealed.map(\.definition.id)), \(boxes), \(keys)) AS u(user_id, definition_id, box, key_id)
                JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = u.user_id
                ON CONFLICT (application_id, user_id, definition_id) DO UPDATE SET
                    value = NULL, value_text = NULL, value_number = NULL, value_time = NULL, value_bool = NULL, value_list = NULL,
                    sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, updated_by = EXCLUDED.updated_by, updated_at = now_ms()
                RETURNING user_id
                """
            for try await id in try await connection.query(insert.query(), logger: logger).decode(EntityID.self) { written.insert(id) }
        }
        let slugs = Array(Set(sorted.map(\.definition.slug)))
        try await self.members.refresh(
            users: written.sorted(), after: .attributes(slugs), applicationID: applicationID, on: connection, logger: logger)
        return Set(sorted.map(\.userID)).subtracting(written)
    }

    /// Share-locks the definitions until the transaction ends and checks that each is still the
    /// version the values were validated against (a concurrent change of type or encryption
    /// would otherwise let a value be stored the wrong way): 409 `definition_changed` if not.
    private func lockDefinitions(_ definitions: [AttributeDefinition], applicationID: EntityID, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        var expected: [EntityID: Int] = [:]
        for definition in definitions { expected[definition.id] = definition.version }
        guard !expected.isEmpty else { return }
        let ids = expected.keys.sorted()
        let select: SQLFragment = """
            SELECT id, version FROM attribute_definitions WHERE application_id = \(applicationID) AND id = ANY(\(ids))
            ORDER BY id FOR SHARE
            """
        var current: [EntityID: Int] = [:]
        for try await (id, version) in try await connection.query(select.query(), logger: logger).decode((EntityID, Int).self) {
            current[id] = version
        }
        guard current == expected else {
            throw Problem.conflict("An attribute definition changed while its values were written; retry.", code: "definition_changed")
        }
    }

    /// Deletes one value; `false` when the user had none.
    func delete(userID: EntityID, definition: AttributeDefinition, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = """
            DELETE FROM attribute_values WHERE application_id = \(applicationID) AND user_id = \(userID) AND definition_id = \(definition.id)
            RETURNING user_id
            """
        return try await self.client.withTransaction(logger: logger) { connection in
            guard try await !connection.query(delete.query(), logger: logger).collect().isEmpty else { return false }
            try await self.members.refresh(
                users: [userID], after: .attributes([definition.slug]), applicationID: applicationID, on: connection, logger: logger)
            return true
        }
    }
}
