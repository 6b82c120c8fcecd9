import Logging
import PostgresNIO
import RosterRuntime
import ServiceLifecycle

/// The users service's hourly upkeep: keeps a signing key ahead of retirement and sweeps
/// what no longer matters — refresh tokens used or expired a day ago (a replay of one then
/// simply fails), sessions that ended a month ago, and failure records a day old without a
/// lock. Replicas may run it at the same time; every step is idempotent.
struct AccountUpkeep: Service {
    let signingKeys: SigningKeyRepository
    let client: PostgresClient
    let startup: StartupGate
    let logger: Logger

    func run() async throws {
        try await self.startup.wait()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { break }
            do {
                try await self.signingKeys.ensureActiveKey(logger: self.logger)
                try await self.sweep()
            } catch {
                self.logger.warning("account upkeep failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    func sweep() async throws {
        try await self.client.query(
            """
            DELETE FROM refresh_tokens
            WHERE used_at < now() - interval '1 day' OR expires_at < now() - interval '1 day'
            """, logger: self.logger)
        try await self.client.query(
            """
            DELETE FROM sessions
            WHERE revoked_at < now() - interval '30 days' OR expires_at < now() - interval '30 days'
            """, logger: self.logger)
        try await self.client.query(
            """
            DELETE FROM login_failures
            WHERE last_failure_at < now() - interval '1 day' AND (locked_until IS NULL OR locked_until < now())
              AND (in_flight = 0 OR reserved_at < now() - interval '1 minute')
            """, logger: self.logger)
        try await self.client.query(
            """
            DELETE FROM user_imports i
            WHERE created_at < now() - interval '30 days'
              AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.job_id AND j.status IN ('queued', 'running'))
            """, logger: self.logger)
    }
}
