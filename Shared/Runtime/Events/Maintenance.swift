import Logging
import PostgresNIO
import ServiceLifecycle

/// Periodic clean-up of the runtime's tables in one service schema.
///
/// - outbox events every subscriber has taken, missed when two subscribers finished the
///   same event at the same moment (each saw the other's delivery row still there);
/// - inbox rows older than a week: a producer redelivers only events it has not had
///   acknowledged, which happens within minutes, so older rows can no longer catch a duplicate
///   (the per-user versions in `inbox_versions` are kept);
/// - jobs that succeeded more than 30 days ago (failed ones stay until re-driven);
/// - rate-limit windows older than a day.
///
/// Replicas may run it at the same time; the deletes are idempotent.
public final class Maintenance: Service {
    private let client: PostgresClient
    private let startup: StartupGate
    private let interval: Duration
    private let logger: Logger

    public init(client: PostgresClient, startup: StartupGate, interval: Duration = .seconds(600), logger: Logger) {
        self.client = client
        self.startup = startup
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await self.startup.wait()
        // A cancelled task (the server failed to start, say) stops too, instead of spinning.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await self.sweep()
            } catch {
                self.logger.warning("maintenance sweep failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// Runs every clean-up once.
    public func sweep() async throws {
        try await self.client.query(
            """
            DELETE FROM outbox_events e
            WHERE e.occurred_at < now() - interval '1 minute'
              AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_seq = e.seq)
            """, logger: self.logger)
        try await self.client.query("DELETE FROM inbox_events WHERE received_at < now() - interval '7 days'", logger: self.logger)
        try await self.client.query(
            "DELETE FROM jobs WHERE status = 'succeeded' AND finished_at < now() - interval '30 days'", logger: self.logger)
        try await self.client.query("DELETE FROM rate_limits WHERE window_start < now() - interval '1 day'", logger: self.logger)
        // A retry comes within minutes; a day keeps late ones safe.
        try await self.client.query(
            "DELETE FROM idempotent_results WHERE created_at < now() - interval '1 day'", logger: self.logger)
    }
}
