import Foundation
import Logging
import RosterProtocol
import RosterTestSupport
import Testing

@testable import RosterRuntime

@Suite(.serialized) struct MaintenanceTests {
    let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func sweepsOnlyWhatCanNoLongerMatter() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try await database.withClient(as: .users) { client in
            try await Migrator(client: client, schema: "users", logger: self.logger).apply(try Migration.runtime())
            let event = "(gen_random_uuid(), 'user.created', gen_random_uuid(), gen_random_uuid(), 1, '{}'"
            try database.sql(
                """
                INSERT INTO users.outbox_events (id, event_type, application_id, subject_id, version, payload, occurred_at) VALUES
                    \(event), now() - interval '1 hour'),
                    \(event), now() - interval '1 hour'),
                    \(event), now());
                INSERT INTO users.outbox_deliveries (subscriber, event_seq) SELECT 'audience', min(seq) FROM users.outbox_events;
                INSERT INTO users.inbox_events (event_id, source, event_type, received_at) VALUES
                    (gen_random_uuid(), 'users', 'user.created', now() - interval '8 days'),
                    (gen_random_uuid(), 'users', 'user.created', now() - interval '1 day');
                INSERT INTO users.jobs (id, kind, status, finished_at) VALUES
                    (gen_random_uuid(), 'old', 'succeeded', now() - interval '31 days'),
                    (gen_random_uuid(), 'dead', 'failed', now() - interval '31 days'),
                    (gen_random_uuid(), 'recent', 'succeeded', now() - interval '1 day'),
                    (gen_random_uuid(), 'waiting', 'queued', NULL);
                INSERT INTO users.idempotent_results (application_id, operation, key, fingerprint, body, created_at) VALUES
                    (gen_random_uuid(), 'bulk', 'old', '', '', now() - interval '2 days'),
                    (gen_random_uuid(), 'bulk', 'new', '', '', now() - interval '1 hour');
                """)
            try await Maintenance(client: client, startup: StartupGate(), logger: self.logger).sweep()
        }
        #expect(try database.count("SELECT count(*) FROM users.outbox_events") == 2, "pending and just-written events stay")
        #expect(try database.count("SELECT count(*) FROM users.outbox_deliveries") == 1)
        #expect(try database.count("SELECT count(*) FROM users.inbox_events") == 1)
        #expect(try database.sql("SELECT string_agg(kind, ',' ORDER BY kind) FROM users.jobs") == "dead,recent,waiting")
        #expect(try database.sql("SELECT string_agg(key, ',') FROM users.idempotent_results") == "new")
    }
}
