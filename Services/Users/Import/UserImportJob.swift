import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// `users.import`: applies a staged import in chunks, then sends the rows' tags and groups
/// to audience — once audience has taken the import's `user.created` events, so it knows
/// every user it is asked about.
///
/// Every step records how far it got in its own transaction; a retry (after a crash, or
/// while audience is away) goes on from there, and sending the same memberships twice
/// changes nothing.
struct UserImportJob: JobHandler {
    static let kind = "users.import"
    var kind: String { Self.kind }

    let imports: UserImportRepository
    let audience: AudienceDirectory
    /// How long to wait for audience to take the import's events before the attempt gives up
    /// (the job then retries with backoff, and a failed import can be re-driven).
    let deliveryWait: Duration = .seconds(900)

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let application = job.applicationId,
            var state = try await self.imports.state(job.id, applicationID: application, logger: context.logger)
        else { return nil }
        if !state.duplicatesMarked { try await self.imports.markDuplicates(job.id, logger: context.logger) }
        while let progress = try await self.imports.applyNextChunk(job.id, applicationID: application, logger: context.logger) {
            try await context.progress(done: Int64(progress.done), total: Int64(progress.total))
        }
        try await self.forward(job.id, applicationID: application, logger: context.logger)
        state = try await self.imports.state(job.id, applicationID: application, logger: context.logger) ?? state
        try await context.progress(done: Int64(state.imported + state.failed), total: Int64(state.total))
        return ["total": .number(Double(state.total)), "imported": .number(Double(state.imported)), "failed": .number(Double(state.failed))]
    }

    private func forward(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws {
        var batch = try await self.imports.nextAssignments(id, logger: logger)
        guard !batch.isEmpty else { return }
        let deadline = ContinuousClock.now + self.deliveryWait
        var pause = Duration.milliseconds(100)
        while try await !self.imports.eventsDelivered(id, applicationID: applicationID, to: .audience, logger: logger) {
            guard ContinuousClock.now < deadline else { throw ImportJobError.audienceBehind }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
        while let first = batch.first, let last = batch.last {
            let changes = batch.map { AudienceAssignment.Change(userId: $0.userID, addTags: $0.tags, addGroups: $0.groups) }
            let answer = try await self.audience.assign(changes, applicationID: applicationID)
            try await self.imports.forwarded(id, from: first.line, through: last.line, refused: answer.refusedGroups, logger: logger)
            batch = try await self.imports.nextAssignments(id, logger: logger)
        }
    }
}

/// Why an import attempt stopped before it was done; the job retries.
enum ImportJobError: Error, CustomStringConvertible {
    case audienceBehind

    var description: String {
        switch self {
        case .audienceBehind: "audience has not taken the imported users yet; their tags and groups will be sent on the next attempt"
        }
    }
}
