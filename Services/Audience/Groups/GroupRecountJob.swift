import Foundation
import RosterProtocol
import RosterRuntime

/// Recounts a group's members (`POST /groups/{id}/refresh`, seed 002).
struct GroupRecountJob: JobHandler {
    static let kind = "audience.group_recount"
    var kind: String { Self.kind }
    let groups: GroupRepository

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let (id, applicationID) = job.target("groupId") else { return ["skipped": "malformed payload"] }
        guard let count = try await self.groups.recount(id, applicationID: applicationID, logger: context.logger) else {
            return ["skipped": "the group was deleted"]
        }
        return ["memberCount": .integer(count)]
    }
}
