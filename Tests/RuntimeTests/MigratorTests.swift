import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterTestSupport
import Testing

@testable import RosterRuntime

@Suite(.serialized) struct MigratorTests {
    let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func replicasStartingTogetherApplyEachMigrationOnce() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let migrations = try Migration.runtime() + [
            Migration(id: "test/0001.sql", sql: "CREATE TABLE things (id int PRIMARY KEY); INSERT INTO things VALUES (1);")
        ]
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await database.withClient(as: .audience) { client in
                        try await Migrator(client: client, schema: "audience", logger: self.logger).apply(migrations)
                    }
                }
            }
            var applied: [String] = []
            for try await ids in group { applied += ids }
            #expect(applied.sorted() == migrations.map(\.id).sorted())
        }
        #expect(try database.count("SELECT count(*) FROM audience.schema_migrations") == migrations.count)
        #expect(try database.count("SELECT count(*) FROM audience.things") == 1)
    }

    @Test func aChangedMigrationStopsTheStart() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try await database.withClient(as: .audience) { client in
            let migrator = Migrator(client: client, schema: "audience", logger: self.logger)
            try await migrator.apply([Migration(id: "test/0001.sql", sql: "CREATE TABLE a (id int)")])
            await #expect(throws: ConfigurationError.self) {
                try await migrator.apply([Migration(id: "test/0001.sql", sql: "CREATE TABLE a (id bigint)")])
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try await database.withClient(as: .audience) { client in
            let migrator = Migrator(client: client, schema: "audience", logger: self.logger)
            await #expect(throws: (any Error).self) {
                try await migrator.apply([Migration(id: "test/0001.sql", sql: "CREATE TABLE b (id int); SELECT 1/0;")])
            }
        }
        #expect(try database.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'audience' AND tablename = 'b'") == 0)
    }

    @Test func aServiceRoleCannotTouchAnotherServicesSchema() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try database.sqlAs(.audience, "CREATE TABLE audience.secrets (value text); INSERT INTO audience.secrets VALUES ('x')")
        #expect(try database.sqlAs(.audience, "SELECT value FROM secrets").trimmingCharacters(in: .whitespacesAndNewlines) == "x")
        for other in [ServiceName.users, .verification, .notification] {
            #expect(throws: (any Error).self) { try database.sqlAs(other, "SELECT * FROM audience.secrets") }
            #expect(throws: (any Error).self) { try database.sqlAs(other, "CREATE TABLE audience.intruder (id int)") }
            #expect(throws: (any Error).self) { try database.sqlAs(other, "CREATE TABLE public.shared (id int)") }
        }
        do {
            try database.sqlAs(.users, "SELECT * FROM audience.secrets")
        } catch {
            #expect("\(error)".contains("permission denied for schema audience"))
        }
    }
}
