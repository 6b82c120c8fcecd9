import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import ServiceLifecycle

/// Runs one kind of job.
public protocol JobHandler: Sendable {
    /// The job kind it runs, e.g. `users.import`.
    var kind: String { get }
    /// Does the work; throwing schedules a retry (none for a `PermanentJobError`). Report
    /// progress through `context`.
    func run(_ job: Job, context: JobContext) async throws -> JSONValue?
    /// Runs in the transaction that fails the job for good — out of attempts, or a
    /// `PermanentJobError` — whether its last attempt threw (`error`) or its worker died
    /// (`error` is `nil`, found once the lease ran out): where state the job keeps outside the
    /// queue is marked failed, so it cannot stay "running" forever. Throwing rolls that
    /// transaction back: the job stays `running` until its lease runs out, and the sweep then
    /// queues it again (attempts left) or fails it, calling this again. Default: nothing.
    func gaveUp(_ job: Job, error: (any Error)?, on connection: PostgresConnection, logger: Logger) async throws
}

extension JobHandler {
    public func gaveUp(_ job: Job, error: (any Error)?, on connection: PostgresConnection, logger: Logger) async throws {}

    /// The result of a job that had nothing (more) to do, and why: `{"outcome":"skipped","reason":…}`.
    public static func skipped(_ reason: String) -> JSONValue {
        ["outcome": "skipped", "reason": .string(reason)]
    }
}

/// Thrown by a handler when trying again cannot help (an SMTP server's permanent 5xx answer):
/// the job fails at once, its remaining attempts unused, and can still be re-driven.
public struct PermanentJobError: Error, CustomStringConvertible {
    public let cause: any Error

    public init(_ cause: any Error) {
        self.cause = cause
    }

    public var description: String { "\(self.cause)" }
}

/// What a running job can do besides its work: report progress (which also renews its lease).
public struct JobContext: Sendable {
    public let queue: JobQueue
    public let job: Job
    public let logger: Logger

    /// Records progress; throws `JobQueueError.leaseLost` when another worker has taken the job over.
    public func progress(done: Int64, total: Int64?) async throws {
        guard try await self.queue.reportProgress(self.job.id, attempt: self.job.attempts, done: done, total: total, logger: self.logger)
        else { throw JobQueueError.leaseLost }
    }
}

/// Claims and runs jobs with a fixed number of concurrent slots; stops claiming on shutdown.
public final class JobWorker: Service {
    private let queue: JobQueue
    private let handlers: [String: any JobHandler]
    private let concurrency: Int
    private let hub: NotificationHub
    private let startup: StartupGate
    private let logger: Logger

    public init(
        queue: JobQueue, handlers: [any JobHandler], concurrency: Int, hub: NotificationHub, startup: StartupGate, logger: Logger
    ) {
        self.queue = queue
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.concurrency = concurrency
        self.hub = hub
        self.startup = startup
        self.logger = logger
    }

    public func run() async throws {
        guard !self.handlers.isEmpty else { return try await gracefulShutdown() }
        try await self.startup.wait()
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<self.concurrency {
                group.addTask { await self.slot(slot) }
            }
        }
    }

    private func slot(_ number: Int) async {
        let kinds = Array(self.handlers.keys)
        for await _ in self.hub.signals(for: "jobs").cancelOnGracefulShutdown() {
            if number == 0 {
                do {
                    try await self.queue.requeueAbandoned(kinds: kinds, logger: self.logger) { job, connection in
                        try await self.handlers[job.kind]?.gaveUp(job, error: nil, on: connection, logger: self.logger)
                    }
                } catch {
                    self.logger.warning("could not sweep abandoned jobs", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            do {
                while !Task.isShuttingDownGracefully, let job = try await self.queue.claim(kinds: kinds, logger: self.logger) {
                    await self.execute(job)
                }
            } catch {
                self.logger.warning("job queue unavailable", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private func execute(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.id)"
        logger[metadataKey: "job.kind"] = "\(job.kind)"
        guard let handler = self.handlers[job.kind] else { return }
        let context = JobContext(queue: self.queue, job: job, logger: logger)
        let work = Task { try await handler.run(job, context: context) }
        // Renew the lease while the handler runs; if another worker took the job over, stop.
        let heartbeat = Task { [queue = self.queue] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(JobQueue.lease / 3))
                if Task.isCancelled { break }
                if (try? await queue.renewLease(job.id, attempt: job.attempts, logger: logger)) == false {
                    logger.warning("job lease lost; stopping this attempt")
                    work.cancel()
                    break
                }
            }
        }
        defer { heartbeat.cancel() }
        do {
            let result = try await work.value
            try await self.queue.succeed(job.id, attempt: job.attempts, result: result, logger: logger)
            logger.info("job succeeded", metadata: ["attempt": "\(job.attempts)"])
        } catch {
            logger.warning("job attempt failed", metadata: ["attempt": "\(job.attempts)", "error": "\(String(reflecting: error))"])
            do {
                try await self.queue.fail(job.id, attempt: job.attempts, error: error, logger: logger) { [logger] failed, connection in
                    try await handler.gaveUp(failed, error: error, on: connection, logger: logger)
                }
            } catch {
                logger.error("could not record the job's failure; its lease will run out", metadata: ["error": "\(error)"])
            }
        }
    }
}
