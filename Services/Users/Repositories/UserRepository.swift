import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Users: every change writes its event to the outbox in the same transaction.
struct UserRepository: Sendable {
    let client: PostgresClient
    let outbox: Outbox

    /// The list offered by `GET /api/v1/users` (filters and sorts all have indexes).
    static let listSpec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "updatedAt": .init(column: "updated_at", type: .timestamp),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: [
            "status": .choice(UserStatus.allCases.map(\.rawValue)),
            "type": .choice(UserType.allCases.map(\.rawValue)),
        ])

    static let columns: SQLFragment = "id, application_id, email, first_name, last_name, type, status, version, created_at, updated_at"

    /// A new user's fields, already validated.
    struct NewUser: Sendable {
        var email: String?
        var firstName: String?
        var lastName: String?
        var type: UserType
        var status: UserStatus
    }

    func create(_ new: NewUser, applicationID: EntityID, logger: Logger) async throws -> User {
        do {
            return try await self.client.withTransaction(logger: logger) { connection in
                let insert: SQLFragment = """
                    INSERT INTO users (id, application_id, email, first_name, last_name, type, status)
                    VALUES (\(EntityID.generate()), \(applicationID), \(new.email), \(new.firstName), \(new.lastName),
                            \(new.type.rawValue), \(new.status.rawValue))
                    RETURNING \(Self.columns)
                    """
                let user = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
                let event = try self.outbox.event(
                    .userCreated, applicationID: applicationID, subjectID: user.id, version: user.version, payload: user.snapshot)
                try await self.outbox.append([event], on: connection, logger: logger)
                return user
            }
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "users_email_unique") {
            throw Problem.conflict("A user with this email already exists.", code: "duplicate_email")
        }
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> User? {
        let select: SQLFragment = "SELECT \(Self.columns) FROM users WHERE application_id = \(applicationID) AND id = \(id)"
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// Applies `change` to the stored user under a row lock; `nil` when there is no such user.
    func update(
        _ id: EntityID, applicationID: EntityID, logger: Logger, change: @Sendable (inout User) throws -> Void
    ) async throws -> User? {
        do {
            return try await self.client.withTransaction(logger: logger) { connection in
                let select: SQLFragment = """
                    SELECT \(Self.columns) FROM users WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE
                    """
                guard var user = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
                let before = user.snapshot
                try change(&user)
                guard user.snapshot != before else { return user }
                let update: SQLFragment = """
                    UPDATE users SET email = \(user.email), first_name = \(user.firstName), last_name = \(user.lastName),
                        type = \(user.type.rawValue), status = \(user.status.rawValue), version = version + 1, updated_at = now_ms()
                    WHERE application_id = \(applicationID) AND id = \(id)
                    RETURNING \(Self.columns)
                    """
                let updated = try await Self.decode(connection.query(update.query(), logger: logger))[0]
                let event = try self.outbox.event(
                    .userUpdated, applicationID: applicationID, subjectID: id, version: updated.version, payload: updated.snapshot)
                try await self.outbox.append([event], on: connection, logger: logger)
                return updated
            }
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "users_email_unique") {
            throw Problem.conflict("A user with this email already exists.", code: "duplicate_email")
        }
    }

    /// Deletes the user and emits `user.deleted`; `false` when there was no such user.
    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        try await self.client.withTransaction(logger: logger) { connection in
            let delete: SQLFragment = """
                DELETE FROM users WHERE application_id = \(applicationID) AND id = \(id) RETURNING version
                """
            guard let version = try await connection.query(delete.query(), logger: logger).decode(Int64.self).first(where: { _ in true })
            else { return false }
            let event = try self.outbox.event(
                .userDeleted, applicationID: applicationID, subjectID: id, version: version + 1,
                payload: UserDeletion(id: id, applicationId: applicationID))
            try await self.outbox.append([event], on: connection, logger: logger)
            return true
        }
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<UserResponse> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let status) = query.filter("status") { conditions.append("status = \(status)") }
        if case .string(let type) = query.filter("type") { conditions.append("type = \(type)") }
        let filtered = SQLFragment.all(conditions)
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM users
            WHERE \(filtered) AND \(try query.keysetCondition(Self.listSpec))
            \(query.orderClause(Self.listSpec)) \(query.pageClause)
            """
        let users = try await Self.decode(self.client.query(select.query(), logger: logger))
        let count: SQLFragment = "SELECT count(*) FROM users WHERE \(filtered)"
        let total = try await self.client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        return query.page(from: users.map(UserResponse.init), total: total)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [User] {
        var users: [User] = []
        for try await (id, applicationID, email, firstName, lastName, type, status, version, createdAt, updatedAt) in rows.decode(
            (EntityID, EntityID, String?, String?, String?, String, String, Int64, Date, Date).self)
        {
            users.append(
                User(
                    id: id, applicationID: applicationID, email: email, firstName: firstName, lastName: lastName,
                    type: UserType(rawValue: type) ?? .user, status: UserStatus(rawValue: status) ?? .active, version: version,
                    createdAt: createdAt, updatedAt: updatedAt))
        }
        return users
    }
}
