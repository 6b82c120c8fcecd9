import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The applications' stored templates, and the lookup a delivery makes (stored first, then built-in).
struct TemplateRepository: Sendable {
    let client: PostgresClient

    static let listSpec = ListQuerySpec(
        sortFields: [
            "code": .init(column: "code", type: .string),
            "name": .lowercased("name"),
            "createdAt": .init(column: "created_at", type: .timestamp),
        ],
        defaultSort: [SortKey("code")],
        searchable: true)

    /// Templates one application may store.
    static let limit = ApplicationRowLimit(table: "templates", limit: 500, code: "too_many_templates", noun: "templates")

    static let columns: SQLFragment = "id, code, name, description, subject, text_body, html_body, created_at, updated_at"

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<MessageTemplate> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if let search = query.search { conditions.append(.contains(search, in: "name", "code")) }
        return try await query.load(
            Self.columns, from: "templates", where: conditions, spec: Self.listSpec, client: self.client, logger: logger,
            decode: Self.decode)
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> MessageTemplate? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM templates WHERE application_id = \(applicationID) AND id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// The first of `codes` the application stores, else the first that is built in.
    func resolve(_ codes: [String], applicationID: EntityID, logger: Logger) async throws -> MessageTemplate? {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM templates WHERE application_id = \(applicationID) AND code = ANY(\(codes))
            """
        let stored = try await Self.decode(self.client.query(select.query(), logger: logger))
        for code in codes {
            if let template = stored.first(where: { $0.code == code }) ?? BuiltInTemplates.named(code) { return template }
        }
        return nil
    }

    func create(_ template: MessageTemplate, applicationID: EntityID, logger: Logger) async throws -> MessageTemplate {
        try await self.translatingConflicts {
            let insert: SQLFragment = """
                INSERT INTO templates (application_id, id, code, name, description, subject, text_body, html_body)
                SELECT \(applicationID), \(template.id), \(template.code), \(template.name), \(template.description), \(template.subject),
                    \(template.text), \(template.html)
                WHERE \(Self.limit.condition(applicationID: applicationID))
                RETURNING \(Self.columns)
                """
            guard let created = try await Self.decode(self.client.query(insert.query(), logger: logger)).first else {
                throw Self.limit.problem
            }
            return created
        }
    }

    /// Changes a template under a row lock; `nil` when unknown.
    func update(_ id: EntityID, applicationID: EntityID, logger: Logger, change: @Sendable (inout MessageTemplate) throws -> Void)
        async throws -> MessageTemplate?
    {
        try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                let select: SQLFragment = "SELECT \(Self.columns) FROM templates WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE"
                guard var template = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
                try change(&template)
                let update: SQLFragment = """
                    UPDATE templates SET code = \(template.code), name = \(template.name), description = \(template.description),
                        subject = \(template.subject), text_body = \(template.text), html_body = \(template.html), updated_at = now_ms()
                    WHERE application_id = \(applicationID) AND id = \(id) RETURNING \(Self.columns)
                    """
                return try await Self.decode(connection.query(update.query(), logger: logger)).first
            }
        }
    }

    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM templates WHERE application_id = \(applicationID) AND id = \(id) RETURNING id"
        return try await !self.client.query(delete.query(), logger: logger).collect().isEmpty
    }

    private func translatingConflicts<T>(_ work: () async throws -> T) async throws -> T {
        try await DatabaseErrorMapping.translatingUniqueViolation(
            of: "templates_code_unique", to: .conflict("A template with this code already exists.", code: "duplicate_template"), work)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [MessageTemplate] {
        var templates: [MessageTemplate] = []
        for try await (id, code, name, description, subject, text, html, created, updated) in rows.decode(
            (EntityID, String, String, String?, String, String, String?, Date, Date).self)
        {
            templates.append(
                MessageTemplate(
                    id: id, code: code, name: name, description: description, subject: subject, text: text, html: html, builtIn: false,
                    createdAt: created, updatedAt: updated))
        }
        return templates
    }
}
