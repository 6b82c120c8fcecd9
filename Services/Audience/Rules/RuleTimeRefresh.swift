import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime
import ServiceLifecycle

/// Every `interval` seconds, queues the recalculation of each dynamic group and segment whose
/// rule names a time ago (`"7d"`): every change of a user re-evaluates them at once, but time
/// passing is no change. Replicas may all run it: a job's idempotency key names the owner and
/// the period, so each owner is recalculated once per period.
struct RuleTimeRefresh: Service {
    let client: PostgresClient
    let jobs: JobQueue
    let startup: StartupGate
    let interval: Int
    let logger: Logger

    func run() async throws {
        guard self.interval > 0 else { return }
        try await self.startup.wait()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.interval)) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { break }
            do {
                try await self.refresh(now: Date())
            } catch {
                self.logger.warning("rules time refresh failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Queues this period's recalculations; returns how many owners were due.
    @discardableResult
    func refresh(now: Date) async throws -> Int {
        let period = Int(now.timeIntervalSince1970) / self.interval
        let applications: SQLFragment = """
            SELECT DISTINCT application_id FROM groups WHERE type = 'dynamic'
            UNION SELECT DISTINCT application_id FROM segments
            """
        let ids = try await self.client.query(applications.query(), logger: self.logger).decode(EntityID.self).array()
        var due = 0
        for applicationID in ids {
            due += try await self.client.withTransaction(logger: self.logger) { connection in
                let owners = try await RuleMembers.owners(applicationID: applicationID, on: connection, logger: self.logger)
                let catalog = try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: self.logger)
                let timed = owners.filter { catalog.usesRelativeTime($0.rule) }
                for owner in timed {
                    _ = try await self.jobs.enqueue(
                        kind: RuleRecalculationJob.kind, applicationID: applicationID,
                        payload: ["ownerType": .string(owner.kind.rawValue), "ownerId": .string(owner.id.description)],
                        idempotencyKey: "time-refresh:\(owner.id):\(period)", on: connection, logger: self.logger)
                }
                return timed.count
            }
        }
        return due
    }
}
