import PostgresNIO
import RosterProtocol

/// Maps PostgreSQL errors (by SQLSTATE) to problems, without showing SQL, constraint or table names.
///
/// Triggers that guard a rule raise SQLSTATE `RS409` or `RS422` with the problem code as the
/// message and the client-facing sentence as the detail.
///
/// Repositories translate the constraints they know into precise problems (`duplicate_email`);
/// this is the safety net for the rest.
public enum DatabaseErrorMapping {
    /// The problem for a database error, or `nil` when it is a server-side failure (→ 500).
    public static func problem(for error: PSQLError) -> Problem? {
        guard error.code == .server else {
            return .unavailable("The database is not reachable right now; retry shortly.")
        }
        switch error.serverInfo?[.sqlState] {
        case "RS409", "RS422":
            // A rule a trigger enforces: MESSAGE is the problem code, DETAIL the sentence for the client.
            return Problem(
                status: error.serverInfo?[.sqlState] == "RS409" ? 409 : 422, code: error.serverInfo?[.message] ?? "conflict",
                title: "Rule violated", detail: error.serverInfo?[.detail] ?? "The change breaks a rule of this resource.")
        case "23505":
            return .conflict("A resource with the same unique value already exists.", code: "conflict")
        case "23503":
            return .conflict("The change refers to a resource that does not exist, or is still referred to.", code: "reference_conflict")
        case "23502", "23514":
            return Problem(status: 422, code: "validation_error", title: "Validation failed", detail: "A value breaks a rule of this resource.")
        case "22001", "54000":
            return Problem(status: 422, code: "value_too_long", title: "Validation failed", detail: "A value is longer than allowed.")
        case "22P02", "22P05", "22007", "22008", "22003", "22021":
            return .badRequest("A value has the wrong format or is out of range.")
        case "40001", "40P01", "55P03":
            return .unavailable("The change collided with a concurrent one; retry it.")
        case "57014":
            return .unavailable("The database took too long to answer; retry or narrow the request.")
        default:
            return nil
        }
    }

    /// Whether the error is a unique violation of the named constraint.
    public static func isUniqueViolation(_ error: any Error, constraint: String) -> Bool {
        let database = (error as? PSQLError) ?? ((error as? PostgresTransactionError)?.closureError as? PSQLError)
        guard let database, database.code == .server else { return false }
        return database.serverInfo?[.sqlState] == "23505" && database.serverInfo?[.constraintName] == constraint
    }

    /// Runs `work`, answering `problem` instead when it breaks the unique constraint `constraint`.
    public static func translatingUniqueViolation<T>(of constraint: String, to problem: Problem, _ work: () async throws -> T)
        async throws -> T
    {
        do {
            return try await work()
        } catch where Self.isUniqueViolation(error, constraint: constraint) {
            throw problem
        }
    }
}
