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

    /// Adds and removes tags and static group memberships of many users in one call (at most
    /// `AudienceAssignment.maxChanges`); safe to repeat.
    func assign(_ changes: [AudienceAssignment.Change], applicationID: EntityID) async throws -> AudienceAssignment.Response {
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
