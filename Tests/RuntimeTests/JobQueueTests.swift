import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import RosterRuntime

/// A handler whose behaviour the test sets: fail the first N attempts, count runs.
final class ScriptedHandler: JobHandler, @unchecked Sendable {
    let kind: String
    let failures: Int
    let runs = Mutex<[EntityID: Int]>([:])

    init(kind: String, failures: Int) {
        self.kind = kind
        self.failures = failures
    }

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        let attempt = self.runs.withLock { runs in
            runs[job.id, default: 0] += 1
            return runs[job.id]!
        }
        try await context.progress(done: 1, total: 2)
        if attempt <= self.failures { throw TestSetupError("scripted failure \(attempt)") }
        try await context.progress(done: 2, total: 2)
        return .object(["attempt": .integer(Int64(attempt))])
    }
}

@Suite(.serialized) struct JobQueueTests {
    let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a migrated schema, a hub and `workers` job workers serving `handlers`.
    func withWorkers(
        _ count: Int, handlers: [any JobHandler], _ body: @Sendable (JobQueue, TestDatabase) async throws -> Void
    ) async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try await database.withClient(as: .notification) { client in
            try await Migrator(client: client, schema: "notification", logger: self.logger).apply(try Migration.runtime())
            let queue = JobQueue(client: client, schema: "notification")
            let hub = NotificationHub(client: client, schema: "notification", pollInterval: .milliseconds(200), logger: self.logger)
            let gate = StartupGate()
            await gate.open()
            var services: [any Service] = [hub]
            for _ in 0..<count {
                services.append(JobWorker(queue: queue, handlers: handlers, concurrency: 2, hub: hub, startup: gate, logger: self.logger))
            }
            let group = ServiceGroup(services: services, logger: self.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    try await body(queue, database)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    func waitFor(_ queue: JobQueue, _ id: EntityID, status: Job.Status) async throws -> Job? {
        var job: Job?
        _ = try await eventually(timeout: .seconds(30)) {
            job = try await queue.job(id, applicationID: nil, logger: self.logger)
            return job?.status == status
        }
        return job
    }

    @Test func jobsRunOnceAcrossCompetingWorkersWithProgress() async throws {
        let handler = ScriptedHandler(kind: "count", failures: 0)
        try await self.withWorkers(3, handlers: [handler]) { queue, _ in
            var ids: [EntityID] = []
            for _ in 0..<40 {
                ids.append(try await queue.enqueue(kind: "count", applicationID: nil, logger: self.logger).id)
            }
            for id in ids {
                let job = try await self.waitFor(queue, id, status: .succeeded)
                #expect(job?.progress == Job.Progress(done: 2, total: 2))
                #expect(job?.attempts == 1)
            }
            #expect(handler.runs.withLock { $0.values.allSatisfy { $0 == 1 } && $0.count == 40 })
        }
    }

    @Test func failuresRetryThenDeadLetterThenRedrive() async throws {
        let flaky = ScriptedHandler(kind: "flaky", failures: 1)
        let broken = ScriptedHandler(kind: "broken", failures: 100)
        try await self.withWorkers(1, handlers: [flaky, broken]) { queue, database in
            let recovering = try await queue.enqueue(kind: "flaky", applicationID: nil, maxAttempts: 3, logger: self.logger)
            let dead = try await queue.enqueue(kind: "broken", applicationID: nil, maxAttempts: 2, logger: self.logger)
            // Skip the retry's backoff wait so the test does not sleep for it.
            _ = try await eventually(timeout: .seconds(30)) {
                try database.sql("UPDATE notification.jobs SET run_at = now() WHERE status = 'queued'")
                let first = try await queue.job(recovering.id, applicationID: nil, logger: self.logger)
                let second = try await queue.job(dead.id, applicationID: nil, logger: self.logger)
                return first?.status == .succeeded && second?.status == .failed
            }
            let succeeded = try await queue.job(recovering.id, applicationID: nil, logger: self.logger)
            #expect(succeeded?.status == .succeeded && succeeded?.attempts == 2)
            #expect(succeeded?.result == .object(["attempt": .integer(2)]))
            let failed = try await queue.job(dead.id, applicationID: nil, logger: self.logger)
            #expect(failed?.status == .failed && failed?.attempts == 2)
            #expect(failed?.lastError?.contains("scripted failure 2") == true)
            let redriven = try await queue.redrive(dead.id, applicationID: nil, logger: self.logger)
            #expect(redriven?.status == .queued && redriven?.attempts == 0)
            #expect(try await self.waitFor(queue, dead.id, status: .failed)?.attempts == 2)
        }
    }

    @Test func idempotencyKeyReturnsTheFirstJob() async throws {
        try await self.withWorkers(0, handlers: []) { queue, _ in
            let application = EntityID.generate()
            let first = try await queue.enqueue(kind: "import", applicationID: application, idempotencyKey: "k1", logger: self.logger)
            let again = try await queue.enqueue(kind: "import", applicationID: application, idempotencyKey: "k1", logger: self.logger)
            let other = try await queue.enqueue(kind: "import", applicationID: EntityID.generate(), idempotencyKey: "k1", logger: self.logger)
            #expect(first.id == again.id)
            #expect(other.id != first.id)
            #expect(try await queue.job(first.id, applicationID: EntityID.generate(), logger: self.logger) == nil)
        }
    }

    @Test func anAbandonedJobIsTakenOverWhenItsLeaseRunsOut() async throws {
        let handler = ScriptedHandler(kind: "resume", failures: 0)
        try await self.withWorkers(1, handlers: [handler]) { queue, database in
            let job = try await queue.enqueue(kind: "resume", applicationID: nil, logger: self.logger)
            _ = try await self.waitFor(queue, job.id, status: .succeeded)
            // A job left 'running' by a worker that died: its lease has run out.
            let orphan = EntityID.generate()
            try database.sql(
                "INSERT INTO notification.jobs (id, kind, status, attempts, lease_expires_at) VALUES ('\(orphan)', 'resume', 'running', 1, now() - interval '1 second')"
            )
            let resumed = try await self.waitFor(queue, orphan, status: .succeeded)
            #expect(resumed?.attempts == 2)
        }
    }
}

/// The queue's rules without workers: claims, leases and idempotency.
@Suite(.serialized) struct JobQueueRuleTests {
    let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func withQueue(_ body: @Sendable (JobQueue, TestDatabase) async throws -> Void) async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try await database.withClient(as: .verification) { client in
            try await Migrator(client: client, schema: "verification", logger: self.logger).apply(try Migration.runtime())
            try await body(JobQueue(client: client, schema: "verification"), database)
        }
    }

    @Test func aWorkerThatLostItsLeaseCannotChangeTheJob() async throws {
        try await self.withQueue { queue, database in
            let job = try await queue.enqueue(kind: "k", applicationID: nil, logger: self.logger)
            let first = try #require(try await queue.claim(kinds: ["k"], logger: self.logger))
            #expect(first.id == job.id && first.attempts == 1)
            // The first worker is presumed dead; its lease ran out and another worker claimed the job.
            try database.sql("UPDATE verification.jobs SET lease_expires_at = now() - interval '1 second'")
            try await queue.requeueAbandoned(kinds: ["k"], logger: self.logger)
            let second = try #require(try await queue.claim(kinds: ["k"], logger: self.logger))
            #expect(second.attempts == 2)
            #expect(try await queue.renewLease(job.id, attempt: 1, logger: self.logger) == false)
            #expect(try await queue.reportProgress(job.id, attempt: 1, done: 5, total: 5, logger: self.logger) == false)
            try await queue.succeed(job.id, attempt: 1, result: nil, logger: self.logger)
            #expect(try await queue.job(job.id, applicationID: nil, logger: self.logger)?.status == .running)
            try await queue.succeed(job.id, attempt: 2, result: .string("done"), logger: self.logger)
            #expect(try await queue.job(job.id, applicationID: nil, logger: self.logger)?.status == .succeeded)
        }
    }

    @Test func anAbandonedJobOutOfAttemptsFailsAndItsHandlerHears() async throws {
        try await self.withQueue { queue, database in
            let job = try await queue.enqueue(kind: "k", applicationID: nil, maxAttempts: 1, logger: self.logger)
            let other = try await queue.enqueue(kind: "k", applicationID: nil, maxAttempts: 2, logger: self.logger)
            // Another worker's kind: its own sweep takes it, with its own handlers.
            let foreign = try await queue.enqueue(kind: "f", applicationID: nil, maxAttempts: 1, logger: self.logger)
            for kind in ["k", "k", "f"] { _ = try await queue.claim(kinds: [kind], logger: self.logger) }
            try database.sql("UPDATE verification.jobs SET lease_expires_at = now() - interval '1 second'")
            // The hook runs in the transaction that fails its job: when it throws, that job stays
            // as it was for the next sweep, and the job with attempts left is queued regardless.
            try await queue.requeueAbandoned(kinds: ["k"], logger: self.logger) { _, _ in throw TestSetupError("the hook failed") }
            #expect(try await queue.job(job.id, applicationID: nil, logger: self.logger)?.status == .running)
            #expect(try await queue.job(other.id, applicationID: nil, logger: self.logger)?.status == .queued)
            let heard = LockedBox<[EntityID]>([])
            try await queue.requeueAbandoned(kinds: ["k"], logger: self.logger) { failed, _ in heard.withLock { $0.append(failed.id) } }
            let failed = try await queue.job(job.id, applicationID: nil, logger: self.logger)
            #expect(failed?.status == .failed && failed?.lastError?.contains("stopped") == true)
            #expect(try await queue.job(other.id, applicationID: nil, logger: self.logger)?.status == .queued)
            #expect(try await queue.job(foreign.id, applicationID: nil, logger: self.logger)?.status == .running)
            #expect(heard.withLock { $0 } == [job.id])
        }
    }

    @Test func aPermanentErrorFailsAtOnceAndTheHandlerHearsInTheSameTransaction() async throws {
        try await self.withQueue { queue, database in
            let job = try await queue.enqueue(kind: "k", applicationID: nil, maxAttempts: 5, logger: self.logger)
            let heard = LockedBox<[EntityID]>([])
            // Attempts left and an ordinary error: queued again, the handler hears nothing.
            let first = try #require(try await queue.claim(kinds: ["k"], logger: self.logger))
            try await queue.fail(job.id, attempt: first.attempts, error: TestSetupError("flaky"), logger: self.logger) { failed, _ in
                heard.withLock { $0.append(failed.id) }
            }
            #expect(try await queue.job(job.id, applicationID: nil, logger: self.logger)?.status == .queued && heard.withLock { $0.isEmpty })
            try database.sql("UPDATE verification.jobs SET run_at = now()")
            let second = try #require(try await queue.claim(kinds: ["k"], logger: self.logger))
            let refused = PermanentJobError(TestSetupError("refused for good"))
            await #expect(throws: (any Error).self) {
                try await queue.fail(job.id, attempt: second.attempts, error: refused, logger: self.logger) { _, _ in throw TestSetupError("the hook failed") }
            }
            #expect(try await queue.job(job.id, applicationID: nil, logger: self.logger)?.status == .running)
            try await queue.fail(job.id, attempt: second.attempts, error: refused, logger: self.logger) { failed, connection in
                let seen = try await connection.query("SELECT status FROM jobs WHERE id = \(failed.id)", logger: self.logger).decode(String.self)
                    .first(where: { _ in true })
                #expect(seen == "failed")
                heard.withLock { $0.append(failed.id) }
            }
            let failed = try await queue.job(job.id, applicationID: nil, logger: self.logger)
            #expect(failed?.status == .failed && failed?.attempts == 2 && failed?.lastError == "refused for good", "\(String(describing: failed))")
            #expect(heard.withLock { $0 } == [job.id])
        }
    }

    @Test func idempotencyHoldsWithoutAnApplicationAndUnderConcurrency() async throws {
        try await self.withQueue { queue, _ in
            let first = try await queue.enqueue(kind: "k", applicationID: nil, idempotencyKey: "same", logger: self.logger)
            let again = try await queue.enqueue(kind: "k", applicationID: nil, idempotencyKey: "same", logger: self.logger)
            #expect(first.id == again.id)
            let ids = try await withThrowingTaskGroup(of: EntityID.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await queue.enqueue(kind: "k", applicationID: nil, idempotencyKey: "race", logger: self.logger).id }
                }
                var ids: Set<EntityID> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids.count == 1)
        }
    }
}
