import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One LISTEN connection per process that wakes local workers when work arrives.
///
/// Producers `NOTIFY roster_<schema>, '<topic>'` in the transaction that creates work (it
/// is delivered on commit); the hub wakes the waiters of that topic. It also ticks every
/// waiter at the poll interval, so retries that fall due and notifications missed while
/// reconnecting are still picked up.
public final class NotificationHub: Service {
    /// Wake-ups of one waiter: each element means "there may be work".
    public typealias Signals = AsyncStream<Void>

    private let client: PostgresClient
    private let channel: String
    private let pollInterval: Duration
    private let logger: Logger
    private let waiters = Mutex<[String: [Int: Signals.Continuation]]>([:])
    private let nextID = Atomic<Int>(0)

    public init(client: PostgresClient, schema: String, pollInterval: Duration, logger: Logger) {
        self.client = client
        self.channel = Self.channel(schema: schema)
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// The NOTIFY channel of a schema.
    public static func channel(schema: String) -> String { "roster_\(schema)" }

    /// Queues a wake-up of `topic` for when the current transaction commits.
    public static func notify(_ topic: String, schema: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(Self.channel(schema: schema)), \(topic))", logger: logger)
    }

    /// A stream that yields whenever `topic` may have work (coalesced: at most one pending).
    public func signals(for topic: String) -> Signals {
        let id = self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let (stream, continuation) = Signals.makeStream(bufferingPolicy: .bufferingNewest(1))
        continuation.yield()
        self.waiters.withLock { $0[topic, default: [:]][id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.waiters.withLock { $0[topic]?.removeValue(forKey: id) }
        }
        return stream
    }

    private func wake(topic: String?) {
        self.waiters.withLock { waiters in
            for (name, continuations) in waiters where topic == nil || topic == name {
                for continuation in continuations.values { continuation.yield() }
            }
        }
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.tick() }
            group.addTask { await self.listen() }
            await group.next()
            group.cancelAll()
        }
        // Finished outside the lock: a stream's termination handler takes the lock itself.
        let remaining = self.waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters.values.flatMap(\.values)
        }
        for continuation in remaining { continuation.finish() }
    }

    private func tick() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: self.pollInterval)
            self.wake(topic: nil)
        }
    }

    private func listen() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.client.withConnection { connection in
                        try await connection.listen(on: self.channel) { notifications in
                            self.wake(topic: nil)  // catch up on anything missed while not listening
                            for try await notification in notifications {
                                self.wake(topic: notification.payload)
                            }
                        }
                    }
                }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.logger.warning("LISTEN connection lost; reconnecting in a second")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
