import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Runs a `PostgresClient` in the service group so that, when the group is cancelled, its
/// connections close a moment after the requests and jobs using them were cancelled.
///
/// Once the drain runs out, the group cancels every task and then signals a graceful shutdown
/// to each service left, the pool's included, without waiting for the HTTP server's requests
/// to unwind. PostgresNIO (1.33) traps when its pool closes a connection that is still in a
/// `COPY` (a precondition failure in its state machine), so a stop during an import's staging
/// crashed the process. A cancelled copy stops at its next write (PostgresNIO checks) and
/// PostgreSQL rolls it back within milliseconds; after a cancellation the pool is closed
/// `grace` (2 s) later. A graceful shutdown on its own (the drain did not run out) reaches the pool
/// only after the server and the workers have finished, and closes it at once.
struct PostgresClientService: Service {
    let client: PostgresClient
    static let grace: Duration = .seconds(2)

    func run() async {
        // Detached: neither the group's cancellation nor its graceful shutdown reaches the pool
        // but through `stop`.
        let client = self.client
        let stop = PoolStop(Task.detached { await client.run() })
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await stop.pool.value
            } onCancel: {
                stop.after(Self.grace)
            }
        } onGracefulShutdown: {
            stop.after(.zero)
        }
    }
}

/// Cancels the pool's task once, after the delay of whichever way to stop came first.
private final class PoolStop: Sendable {
    let pool: Task<Void, Never>
    private let stopping = Mutex(false)

    init(_ pool: Task<Void, Never>) { self.pool = pool }

    func after(_ delay: Duration) {
        let first = self.stopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        Task.detached { [pool] in
            try? await Task.sleep(for: delay)
            pool.cancel()
        }
    }
}
