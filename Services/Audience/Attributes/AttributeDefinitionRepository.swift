import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Attribute definitions of each application.
struct AttributeDefinitionRepository: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    /// Catalogs for the search; every change below makes it forget the application.
    let catalogCache = AttributeCatalogCache()

    static let listSpec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "updatedAt": .init(column: "updated_at", type: .timestamp),
            "slug": .init(column: "slug", type: .string),
        ],
        defaultSort: [SortKey("createdAt")],
        filters: [
            "name": .string, "slug": .string, "type": .choice(AttributeType.allCases.map(\.rawValue)),
            "customerEditable": .boolean, "encrypted": .boolean, "pinned": .boolean, "isLocked": .boolean, "searchable": .boolean,
        ],
        searchable: true)

    static let columns: SQLFragment = """
        id, application_id, slug, name, description, type, validations, default_value, encrypted, pinned, pin_order, \
        customer_editable, is_locked, searchable, index_state, version, created_at, updated_at
        """

    /// A page of definitions; `spec` may narrow what the query offers (a user's attribute list),
    /// `customerEditableOnly` keeps the ones users edit themselves.
    func list(
        _ query: ListQuery, applicationID: EntityID, spec: ListQuerySpec = Self.listSpec, customerEditableOnly: Bool = false,
        logger: Logger
    ) async throws -> ListPage<AttributeDefinition> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if customerEditableOnly { conditions.append("customer_editable") }
        if case .string(let name) = query.filter("name") { conditions.append(.contains(name, in: "name")) }
        if case .string(let slug) = query.filter("slug") { conditions.append("slug = \(slug)") }
        if case .string(let type) = query.filter("type") { conditions.append("type = \(type)") }
        for (filter, column) in [
            ("customerEditable", "customer_editable"), ("encrypted", "encrypted"), ("pinned", "pinned"), ("isLocked", "is_locked"),
            ("searchable", "searchable"),
        ] {
            if case .boolean(let flag) = query.filter(filter) { conditions.append("\(identifier: column) = \(flag)") }
        }
        if let search = query.search {
            conditions.append(.contains(search, in: "name", "slug"))
        }
        return try await query.load(
            Self.columns, from: "attribute_definitions", where: conditions, spec: spec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    /// Every definition of the application, by slug (applications have few).
    func all(applicationID: EntityID, logger: Logger) async throws -> [String: AttributeDefinition] {
        let select: SQLFragment = "SELECT \(Self.columns) FROM attribute_definitions WHERE application_id = \(applicationID)"
        let definitions = try await Self.decode(self.client.query(select.query(), logger: logger))
        return Dictionary(definitions.map { ($0.slug, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `all`, as of at most `AttributeCatalogCache.lifetime` ago.
    func cachedAll(applicationID: EntityID, logger: Logger) async throws -> [String: AttributeDefinition] {
        try await self.catalogCache.catalog(applicationID: applicationID) {
            try await self.all(applicationID: applicationID, logger: logger)
        }
    }

    /// A definition by id or slug.
    func find(_ reference: String, applicationID: EntityID, logger: Logger) async throws -> AttributeDefinition? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM attribute_definitions WHERE \(Self.matching(reference, applicationID))"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    func create(_ definition: AttributeDefinition, logger: Logger) async throws -> AttributeDefinition {
        defer { self.catalogCache.forget(applicationID: definition.applicationID) }
        return try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                var definition = definition
                definition.indexState = definition.searchable ? "building" : "none"
                try await AttributePatterns.check(definition, on: connection, logger: logger)
                let insert: SQLFragment = """
                    INSERT INTO attribute_definitions (id, application_id, slug, name, description, type, validations, default_value,
                        encrypted, pinned, pin_order, customer_editable, is_locked, searchable, index_state)
                    VALUES (\(definition.id), \(definition.applicationID), \(definition.slug), \(definition.name), \(definition.description),
                        \(definition.type.rawValue), \(JSONValue.array(definition.rules.list)), \(definition.defaultValue),
                        \(definition.encrypted), \(definition.pinned), \(definition.pinOrder), \(definition.customerEditable),
                        \(definition.isLocked), \(definition.searchable), \(definition.indexState))
                    RETURNING \(Self.columns)
                    """
                let created = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
                if created.searchable { try await self.scheduleIndex(created, on: connection, logger: logger) }
                return created
            }
        }
    }

    /// Changes a definition under a row lock; `nil` when there is no such definition.
    ///
    /// The type and the encryption of a definition that has values cannot change (409): the
    /// stored values would no longer match. A change of searchability or type reconciles the
    /// index in a job.
    func update(
        _ reference: String, applicationID: EntityID, requiredVersion: Int?, logger: Logger,
        change: @Sendable (inout AttributeDefinition) throws -> Void
    ) async throws -> AttributeDefinition? {
        defer { self.catalogCache.forget(applicationID: applicationID) }
        return try await self.client.withTransaction(logger: logger) { connection in
            let select: SQLFragment = """
                SELECT \(Self.columns) FROM attribute_definitions WHERE \(Self.matching(reference, applicationID)) FOR UPDATE
                """
            guard let before = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
            try EntityTag.check(required: requiredVersion, current: before.version)
            var after = before
            try change(&after)
            try await AttributePatterns.check(after, on: connection, logger: logger)
            if after.type != before.type || after.encrypted != before.encrypted {
                let exists: SQLFragment = """
                    SELECT EXISTS (SELECT 1 FROM attribute_values WHERE application_id = \(applicationID) AND definition_id = \(before.id))
                    """
                if try await connection.query(exists.query(), logger: logger).decode(Bool.self).first(where: { _ in true }) == true {
                    throw Problem.conflict(
                        "Users have values of this attribute; its type and encryption cannot change. Delete the values first.",
                        code: "values_exist")
                }
            }
            if (before.searchable && !after.searchable) || after.type != before.type || after.encrypted != before.encrypted {
                try await RuleMembers.refuseIfTested(before, applicationID: applicationID, on: connection, logger: logger)
            }
            let reindex = after.searchable != before.searchable || (after.searchable && after.type != before.type)
            if reindex { after.indexState = after.searchable ? "building" : "none" }
            let update: SQLFragment = """
                UPDATE attribute_definitions SET name = \(after.name), description = \(after.description), type = \(after.type.rawValue),
                    validations = \(JSONValue.array(after.rules.list)), default_value = \(after.defaultValue), encrypted = \(after.encrypted),
                    pinned = \(after.pinned), pin_order = \(after.pinOrder), customer_editable = \(after.customerEditable),
                    is_locked = \(after.isLocked), searchable = \(after.searchable), index_state = \(after.indexState),
                    version = version + 1, updated_at = now_ms()
                WHERE application_id = \(applicationID) AND id = \(before.id)
                RETURNING \(Self.columns)
                """
            let updated = try await Self.decode(connection.query(update.query(), logger: logger))[0]
            if reindex { try await self.scheduleIndex(updated, on: connection, logger: logger) }
            return updated
        }
    }

    /// Deletes a definition and its values; `false` when there is none. Locked ones are refused.
    func delete(_ reference: String, applicationID: EntityID, logger: Logger) async throws -> Bool {
        defer { self.catalogCache.forget(applicationID: applicationID) }
        return try await self.client.withTransaction(logger: logger) { connection in
            let select: SQLFragment = """
                SELECT \(Self.columns) FROM attribute_definitions WHERE \(Self.matching(reference, applicationID)) FOR UPDATE
                """
            guard let definition = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return false }
            guard !definition.isLocked else {
                throw Problem.conflict("The definition \(definition.slug) is locked; unlock it before deleting it.", code: "locked")
            }
            try await RuleMembers.refuseIfTested(definition, applicationID: applicationID, on: connection, logger: logger)
            try await connection.query(
                "DELETE FROM attribute_definitions WHERE application_id = \(applicationID) AND id = \(definition.id)", logger: logger)
            if definition.indexState != "none" { try await self.scheduleIndex(definition, on: connection, logger: logger) }
            return true
        }
    }

    /// Queues the job that makes the index match the definition (built or dropped concurrently).
    private func scheduleIndex(_ definition: AttributeDefinition, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await self.jobs.enqueue(
            kind: AttributeIndexJob.kind, applicationID: definition.applicationID,
            payload: ["definitionId": .string(definition.id.description)], maxAttempts: 10, on: connection, logger: logger)
    }

    static func matching(_ reference: String, _ applicationID: EntityID) -> SQLFragment {
        if let id = EntityID(reference) { return "application_id = \(applicationID) AND id = \(id)" }
        return "application_id = \(applicationID) AND slug = \(reference)"
    }

    private func translatingConflicts<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "attribute_definitions_slug_unique") {
            throw Problem.conflict("An attribute definition with this slug already exists.", code: "duplicate_slug")
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [AttributeDefinition] {
        var definitions: [AttributeDefinition] = []
        for try await row in rows {
            let (
                id, application, slug, name, description, type, validations, defaultValue, encrypted, pinned, pinOrder, editable, locked,
                searchable, indexState, version, created, updated
            ) = try row.decode(
                (
                    EntityID, EntityID, String, String, String, String, JSONValue, JSONValue?, Bool, Bool, Int?, Bool, Bool, Bool, String, Int,
                    Date, Date
                ).self)
            definitions.append(
                AttributeDefinition(
                    id: id, applicationID: application, slug: slug, name: name, description: description,
                    type: AttributeType(rawValue: type) ?? .string, rules: AttributeRules(stored: validations), defaultValue: defaultValue,
                    encrypted: encrypted, pinned: pinned, pinOrder: pinOrder, customerEditable: editable, isLocked: locked,
                    searchable: searchable, indexState: indexState, version: version, createdAt: created, updatedAt: updated))
        }
        return definitions
    }
}
