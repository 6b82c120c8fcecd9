/// Opens once the schema is migrated; background workers wait on it before touching tables.
public actor StartupGate {
    private var isOpen = false
    private var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    private var nextID = 0

    public init() {}

    /// Lets every current and future waiter through.
    public func open() {
        self.isOpen = true
        for waiter in self.waiters.values { waiter.resume() }
        self.waiters.removeAll()
    }

    /// Returns once the gate is open; throws `CancellationError` if the waiting task is cancelled.
    public func wait() async throws {
        if self.isOpen { return }
        let id = self.nextID
        self.nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if self.isOpen || Task.isCancelled {
                    Task.isCancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume()
                } else {
                    self.waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: Int) {
        self.waiters.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }
}
