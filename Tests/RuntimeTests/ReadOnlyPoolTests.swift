import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// The pool a read replica gets (`ROSTER_DATABASE_READ_URL`): every transaction read-only.
@Suite struct ReadOnlyPoolTests {
    @Test func aReadOnlyPoolReadsAndRefusesWrites() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try database.sql("CREATE TABLE users.things (id int PRIMARY KEY); INSERT INTO users.things VALUES (1); ALTER TABLE users.things OWNER TO \(database.role(.users))")
        let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let (setting, rows, refusal) = try await database.withClient(as: .users, readOnly: true) { client in
            let setting = try await client.query("SHOW default_transaction_read_only", logger: logger).decode(String.self).first(where: { _ in true })
            let rows = try await client.query("SELECT count(*)::int FROM things", logger: logger).decode(Int.self).first(where: { _ in true })
            var refusal: String?
            do {
                try await client.query("INSERT INTO things VALUES (2)", logger: logger)
            } catch let error as PSQLError {
                refusal = error.serverInfo?[.sqlState]
            }
            return (setting, rows, refusal)
        }
        #expect(setting == "on" && rows == 1)
        #expect(refusal == "25006", "a write through the read pool must fail as read-only")
        #expect(try database.count("SELECT count(*) FROM users.things") == 1)
        // The service's own pool writes.
        try await database.withClient(as: .users) { client in try await client.query("INSERT INTO things VALUES (2)", logger: logger) }
        #expect(try database.count("SELECT count(*) FROM users.things") == 2)
    }
}
