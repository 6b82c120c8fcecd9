import Logging
import RosterRuntime
import ServiceLifecycle

/// Keeps a signing key ahead of retirement while the service runs (hourly check).
struct SigningKeyUpkeep: Service {
    let repository: SigningKeyRepository
    let startup: StartupGate
    let logger: Logger

    func run() async throws {
        try await self.startup.wait()
        while !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
            guard !Task.isShuttingDownGracefully else { break }
            do {
                try await self.repository.ensureActiveKey(logger: self.logger)
            } catch {
                self.logger.warning("signing key check failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
