import Foundation
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Users' outbox → audience's projection: nothing lost, nothing applied twice.
@Suite(.serialized) struct EventDeliveryTests {
    /// Creates `count` users through the users service, `concurrency` at a time; returns their ids.
    static func createUsers(_ platform: TestPlatform, count: Int, concurrency: Int = 8, prefix: String) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var ids: [String] = []
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let response = try await platform.request(
                            .POST, "\(platform.url(.users))/api/v1/users", json: ["email": "\(prefix)\(index)@example.com", "firstName": "U\(index)"])
                        guard response.status == 201, let id = response.json["id"] as? String else {
                            throw TestSetupError("create failed: \(response.status) \(response.text)")
                        }
                        ids.append(id)
                    }
                    return ids
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
    }

    /// The ids in audience's projection.
    static func projectedIDs(_ platform: TestPlatform) throws -> Set<String> {
        Set(try platform.database.sql("SELECT user_id FROM audience.user_projection").split(separator: "\n").map(String.init))
    }

    @Test func aSubscriberThatWasDownCatchesUpExactlyOnce() async throws {
        try await withPlatform([.users]) { platform in
            let ids = try await Self.createUsers(platform, count: 1000, prefix: "outage")
            #expect(Set(ids).count == 1000)
            #expect(try platform.database.count("SELECT count(*) FROM users.outbox_deliveries WHERE subscriber = 'audience'") == 1000)

            try await platform.process(.audience).startAndWait(http: platform.http)
            let caughtUp = try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
                try platform.database.count("SELECT count(*) FROM audience.user_projection") == 1000
            }
            #expect(caughtUp)
            #expect(try platform.database.count("SELECT count(*) FROM audience.inbox_events") == 1000)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_projection WHERE version <> 1") == 0)
            let drained = try await eventually(timeout: .seconds(10)) {
                try platform.database.count("SELECT count(*) FROM users.outbox_deliveries WHERE subscriber = 'audience'") == 0
            }
            #expect(drained)
            #expect(try Self.projectedIDs(platform) == Set(ids))
        }
    }

    @Test func aCrashBetweenCommitAndDispatchLosesNoEvent() async throws {
        try await withPlatform([.users]) { platform in
            // Committed but not dispatched: audience is not running yet.
            let before = try await Self.createUsers(platform, count: 50, prefix: "committed")
            #expect(try platform.database.count("SELECT count(*) FROM users.outbox_events") == 50)
            platform.process(.users).kill()
            try await platform.process(.users).waitForExit()

            try await platform.process(.audience).startAndWait(http: platform.http)
            try await platform.process(.users).startAndWait(http: platform.http)
            let delivered = try await eventually(timeout: .seconds(30)) {
                try platform.database.count("SELECT count(*) FROM audience.user_projection") == 50
            }
            #expect(delivered)
            #expect(try Self.projectedIDs(platform) == Set(before))
        }
    }

    @Test func aCrashDuringWritesKeepsEveryAcknowledgedUser() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let acknowledged = LockedBox<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        for index in 0..<400 {
                            guard
                                let response = try? await platform.request(
                                    .POST, "\(platform.url(.users))/api/v1/users", json: ["email": "crash\(worker)-\(index)@example.com"],
                                    timeout: .seconds(5))
                            else { return }
                            if response.status == 201, let id = response.json["id"] as? String {
                                acknowledged.withLock { $0.append(id) }
                            }
                        }
                    }
                }
                group.addTask {
                    _ = await eventually(timeout: .seconds(30)) { acknowledged.withLock { $0.count >= 150 } }
                    platform.process(.users).kill()
                }
                try await group.waitForAll()
            }
            let ids = acknowledged.withLock { $0 }
            #expect(ids.count >= 150)
            try await platform.process(.users).waitForExit()
            try await platform.process(.users).startAndWait(http: platform.http)
            let stored = try platform.database.count("SELECT count(*) FROM users.users")
            let converged = try await eventually(timeout: .seconds(30)) {
                try platform.database.count("SELECT count(*) FROM audience.user_projection") == stored
            }
            #expect(converged)
            #expect(Set(ids).isSubset(of: try Self.projectedIDs(platform)), "every user acknowledged with 201 reaches audience")
            #expect(try platform.database.count("SELECT count(*) FROM audience.inbox_events") == stored)
        }
    }

    @Test func redeliveredAndStaleEventsChangeNothing() async throws {
        try await withPlatform([.audience]) { platform in
            let tokens = await ServiceTokens(secret: platform.serviceSecret, service: .users)
            let application = EntityID.generate()
            let user = EntityID.generate()
            func event(_ type: EventType, version: Int64, firstName: String) throws -> EventEnvelope {
                let snapshot = UserSnapshot(
                    id: user, applicationId: application, email: "e@example.com", firstName: firstName, lastName: nil, type: "user",
                    status: "active", createdAt: Date(), updatedAt: Date())
                let payload = try RosterJSON.makeDecoder().decode(JSONValue.self, from: RosterJSON.makeEncoder().encode(snapshot))
                return EventEnvelope(
                    id: .generate(), type: type, source: "users", applicationId: application, subjectId: user, version: version,
                    occurredAt: Date(), requestId: nil, payload: payload)
            }
            func send(_ events: [EventEnvelope]) async throws -> EventBatchResult {
                let response = try await platform.request(
                    .POST, "\(platform.url(.audience))/internal/v1/events", json: EventBatch(events: events),
                    headers: [("Authorization", "Bearer \(try await tokens.token())")], authorized: false)
                #expect(response.status == 200)
                return try response.decode(EventBatchResult.self)
            }
            let created = try event(.userCreated, version: 1, firstName: "One")
            let updated = try event(.userUpdated, version: 3, firstName: "Three")
            let stale = try event(.userUpdated, version: 2, firstName: "Two")
            #expect(try await send([created, updated]).accepted == [created.id, updated.id])
            #expect(try await send([created, updated, stale]).accepted == [created.id, updated.id, stale.id])
            #expect(try platform.database.sql("SELECT first_name || ':' || version FROM audience.user_projection") == "Three:3")
            #expect(try platform.database.count("SELECT count(*) FROM audience.inbox_events") == 3)

            // A service may deliver only its own events, and a payload must agree with its envelope.
            let verificationToken = try await ServiceTokens(secret: platform.serviceSecret, service: .verification).token()
            let forged = try await platform.request(
                .POST, "\(platform.url(.audience))/internal/v1/events", json: EventBatch(events: [try event(.userUpdated, version: 9, firstName: "Forged")]),
                headers: [("Authorization", "Bearer \(verificationToken)")], authorized: false)
            #expect(forged.isProblem(403))
            var mismatched = try event(.userUpdated, version: 10, firstName: "Elsewhere")
            mismatched.applicationId = EntityID.generate()
            let good = try event(.userUpdated, version: 11, firstName: "Eleven")
            #expect(try await send([mismatched, good]).accepted == [good.id], "one bad event does not spoil its batch")
            #expect(
                try platform.database.count("SELECT count(*) FROM audience.inbox_events WHERE event_id = '\(mismatched.id)'") == 0,
                "the refused event leaves no inbox row, so its retry is taken")
            #expect(try platform.database.sql("SELECT first_name || ':' || version FROM audience.user_projection") == "Eleven:11")

            let deletion = EventEnvelope(
                id: .generate(), type: .userDeleted, source: "users", applicationId: application, subjectId: user, version: 12,
                occurredAt: Date(), requestId: nil, payload: .object([:]))
            let late = try event(.userUpdated, version: 11, firstName: "Zombie")
            _ = try await send([deletion, late])
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_projection") == 0)
        }
    }
}
