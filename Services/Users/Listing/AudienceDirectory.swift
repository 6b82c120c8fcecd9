import RosterProtocol
import RosterRuntime

/// The users service's view of the audience service's internal API: the ids a search by
/// audience data answers, and a page's groups, tags and attributes (one call per page).
struct AudienceDirectory: Sendable {
    let client: InternalClient

    /// The page of user ids audience's search answers for `parameters` (list dialect,
    /// `status`, `type`, `groups`, `tags`, `segments`, `attributes.*`).
    ///
    /// A 400 from audience is about the client's own query (an unknown attribute, say) and
    /// is passed through as it is.
    func searchIDs(_ parameters: [(String, String)], applicationID: EntityID) async throws -> AudienceSearchPage {
        let query = ([("applicationId", applicationID.description)] + parameters)
            .map { "\($0.0.urlQueryEncoded)=\($0.1.urlQueryEncoded)" }.joined(separator: "&")
        return try await self.passingClientErrors {
            try await self.client.call(
                .audience, .GET, "/internal/v1/audience/users/search?\(query)", idempotent: true, as: AudienceSearchPage.self)
        }
    }

    /// The asked-for audience data of up to 100 users, keyed by id text.
    func lookup(_ ids: [EntityID], include: [AudienceLookup.Part], applicationID: EntityID) async throws -> [String: AudienceLookup.Entry] {
        guard !ids.isEmpty, !include.isEmpty else { return [:] }
        let request = AudienceLookup.Request(applicationId: applicationID, userIds: ids, include: include)
        return try await self.passingClientErrors {
            try await self.client.call(
                .audience, .POST, "/internal/v1/audience/lookup", body: request, idempotent: true, as: AudienceLookup.Response.self)
        }.users
    }

    /// Most JSON one assignments call carries (audience takes 32 MiB on internal routes): a
    /// bulk update repeats its tags, groups and attributes for every user it names.
    static let assignmentCallBytes = 4 << 20

    /// Adds and removes tags, static group memberships and attribute values of many users, in
    /// as few calls as keep each under `assignmentCallBytes` and `AudienceAssignment.maxChanges`;
    /// the answers summed. Safe to repeat.
    func assign(_ changes: [AudienceAssignment.Change], applicationID: EntityID) async throws -> AudienceAssignment.Response {
        var answer = AudienceAssignment.Response.nothing
        var batch: [AudienceAssignment.Change] = []
        var bytes = 0
        let encoder = RosterJSON.makeEncoder()
        for change in changes {
            let size = try encoder.encode(change).count
            if !batch.isEmpty, bytes + size > Self.assignmentCallBytes || batch.count == AudienceAssignment.maxChanges {
                answer.add(try await self.send(batch, applicationID: applicationID))
                batch.removeAll(keepingCapacity: true)
                bytes = 0
            }
            batch.append(change)
            bytes += size
        }
        if !batch.isEmpty { answer.add(try await self.send(batch, applicationID: applicationID)) }
        return answer
    }

    private func send(_ changes: [AudienceAssignment.Change], applicationID: EntityID) async throws -> AudienceAssignment.Response {
        let request = AudienceAssignment.Request(applicationId: applicationID, changes: changes)
        return try await self.passingClientErrors {
            try await self.client.call(
                .audience, .POST, "/internal/v1/audience/assignments", body: request, idempotent: true,
                as: AudienceAssignment.Response.self)
        }
    }

    private func passingClientErrors<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch InternalCallError.rejected(_, let status, let problem?) where status == 400 || status == 422 {
            throw problem
        } catch let error as InternalCallError {
            throw error.problem
        }
    }
}
