import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Fans a broadcast out: page after page of recipient ids, each page's notifications written
/// set-wise with the cursor and counters in one transaction. A restart, a lost lease or a
/// retry after audience was away continues after the last committed page, so every
/// recipient gets the notification exactly once.
struct BroadcastJob: JobHandler {
    static let kind = "notification.broadcast"
    /// Retries with backoff while audience is unreachable; then the broadcast is `failed`.
    static let maxAttempts = 10
    var kind: String { Self.kind }
    let broadcasts: BroadcastRepository
    let pages: RecipientPages

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let (id, applicationID) = job.target("broadcastId") else { return ["skipped": "malformed payload"] }
        var done: Int64 = 0
        // The next page is read from audience while this one is written (the two take about
        // the same time); it is used only if the cursor is where it was read from.
        var prefetched: (after: EntityID, page: Task<RecipientPages.Page?, any Error>)?
        defer { prefetched?.page.cancel() }
        while let broadcast = try await self.broadcasts.state(id, applicationID: applicationID, logger: context.logger) {
            guard broadcast.status == .queued || broadcast.status == .running else {
                return ["status": .string(broadcast.status.rawValue)]
            }
            let fetched: RecipientPages.Page?
            if let next = prefetched, next.after == broadcast.cursor {
                fetched = try await withTaskCancellationHandler { try await next.page.value } onCancel: { next.page.cancel() }
            } else {
                prefetched?.page.cancel()
                fetched = try await self.pages.page(broadcast, after: broadcast.cursor, logger: context.logger)
            }
            prefetched = nil
            guard let page = fetched else {
                let kind = broadcast.targetKind.rawValue
                try await self.broadcasts.fail(id, applicationID: applicationID, reason: "The \(kind) was deleted.", logger: context.logger)
                return ["status": "failed"]
            }
            if !page.isLast, let last = page.ids.last {
                let (pages, logger) = (self.pages, context.logger)
                prefetched = (last, Task { try await pages.page(broadcast, after: last, logger: logger) })
            }
            if try await self.broadcasts.deliver(page, of: broadcast, logger: context.logger) { done += Int64(page.ids.count) }
            // Also renews the lease; the broadcast's own counters are what clients read.
            try await context.progress(done: done, total: nil)
        }
        return ["skipped": "the broadcast was deleted"]
    }

    /// Out of attempts, or its worker died on the last one: the broadcast is `failed`, with why.
    func gaveUp(_ job: Job, error: (any Error)?, on connection: PostgresConnection, logger: Logger) async throws {
        guard let (id, applicationID) = job.target("broadcastId") else { return }
        try await self.broadcasts.fail(id, applicationID: applicationID, reason: Self.reason(giving: error, after: job.attempts), on: connection, logger: logger)
    }

    /// What clients read on a broadcast that gave up: the client-facing sentence of a failed
    /// internal call (no internal address or detail), or a general one.
    static func reason(giving error: (any Error)?, after attempts: Int) -> String {
        let cause =
            error == nil
            ? "The service stopped while running it." : (error as? InternalCallError)?.problem.detail ?? "An internal error stopped it."
        return "The fan-out gave up after \(attempts) \(attempts == 1 ? "attempt" : "attempts"). \(cause)"
    }
}
