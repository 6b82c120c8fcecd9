import Foundation
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Audience's internal API (batch lookups, member-id stream) and the group statistics.
@Suite(.serialized) struct AudienceInternalTests {
    @Test func lookupsStreamsAndStats() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(2_500)
            let app = try #require(EntityID(try audience.applicationID()))
            _ = try await audience.define(["name": "Plan", "slug": "plan", "type": "string", "defaultValue": "free"])
            _ = try await audience.define(["name": "Secret", "slug": "secret", "type": "string", "encrypted": true])
            let group = try #require(try await audience.call(.POST, "/groups", json: ["name": "Big"]).json["id"] as? String)
            _ = try await audience.call(.POST, "/groups", json: ["name": "Empty"])
            _ = try await audience.call(.POST, "/groups/\(group)/add-users", json: ["userIds": users])
            let tag = try #require(try await audience.call(.POST, "/tags", json: ["name": "VIP", "category": "tier"]).json["id"] as? String)
            _ = try await audience.call(.POST, "/tags/\(tag)/assign", json: ["userIds": [users[0]]])
            _ = try await audience.call(.PUT, "/users/\(users[0])/attributes/plan", json: ["value": "pro"])
            _ = try await audience.call(.PUT, "/users/\(users[0])/attributes/secret", json: ["value": "hidden"])

            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .users).token()
            let service = [("Authorization", "Bearer \(token)")]
            let internalBase = platform.url(.audience) + "/internal/v1/audience"

            // One call for a page: groups, tags and attributes (defaults filled, sealed values null).
            let ids = users.compactMap(EntityID.init)
            let request = AudienceLookup.Request(applicationId: app, userIds: [ids[0], ids[1], EntityID.generate()], include: [.groups, .tags, .attributes])
            let answer = try await platform.request(.POST, "\(internalBase)/lookup", json: request, headers: service, authorized: false)
            #expect(answer.status == 200, "\(answer.text)")
            let lookup = try answer.decode(AudienceLookup.Response.self)
            #expect(lookup.users.count == 2)
            let first = try #require(lookup.users[users[0]])
            #expect(first.groups?.map(\.name) == ["Big"] && first.tags?.map(\.name) == ["VIP"])
            #expect(first.attributes?["plan"] == .string("pro") && first.attributes?["secret"] == .null)
            #expect(lookup.users[users[1]]?.attributes?["plan"] == .string("free") && lookup.users[users[1]]?.tags == [])
            let onlyTags = try await platform.request(
                .POST, "\(internalBase)/lookup", json: AudienceLookup.Request(applicationId: app, userIds: [ids[0]], include: [.tags]),
                headers: service, authorized: false)
            #expect(try onlyTags.decode(AudienceLookup.Response.self).users[users[0]]?.groups == nil)
            let tooMany = AudienceLookup.Request(applicationId: app, userIds: Array(users.prefix(101)).compactMap(EntityID.init), include: [.tags])
            #expect(try await platform.request(.POST, "\(internalBase)/lookup", json: tooMany, headers: service, authorized: false).isProblem(422))
            let other = AudienceLookup.Request(applicationId: .generate(), userIds: [try #require(EntityID(users[0]))], include: [.groups])
            #expect(try await platform.request(.POST, "\(internalBase)/lookup", json: other, headers: service, authorized: false)
                .decode(AudienceLookup.Response.self).users.isEmpty)
            // Not without a service token; an API key is no service token.
            #expect(try await platform.request(.POST, "\(internalBase)/lookup", json: request).isProblem(401))

            // The member-id stream pages through every member once, in id order.
            var streamed: [String] = []
            var after = ""
            repeat {
                let page = try await platform.request(
                    .GET, "\(internalBase)/groups/\(group)/member-ids?applicationId=\(app)&limit=1000&after=\(after)", headers: service,
                    authorized: false
                ).decode(MemberIDPage.self)
                streamed += page.ids.map(\.description)
                after = page.nextCursor?.description ?? ""
            } while !after.isEmpty
            #expect(streamed == users)
            let foreign = try await platform.request(
                .GET, "\(internalBase)/groups/\(group)/member-ids?applicationId=\(EntityID.generate())", headers: service, authorized: false)
            #expect(foreign.isProblem(404))
            #expect(try await platform.request(
                .GET, "\(internalBase)/groups/\(group)/member-ids?applicationId=\(app)&limit=0", headers: service, authorized: false).isProblem(400))

            // The search, as ids for the users service to hydrate: tag and attribute filters, paging.
            let found = try await platform.request(
                .GET, "\(internalBase)/users/search?applicationId=\(app)&tags=\(tag)&limit=5", headers: service, authorized: false)
            #expect(try found.decode(AudienceSearchPage.self) == AudienceSearchPage(ids: [ids[0]], total: 1, nextCursor: nil))
            let inGroup = try await platform.request(
                .GET, "\(internalBase)/users/search?applicationId=\(app)&groups=\(group)&limit=100", headers: service, authorized: false
            ).decode(AudienceSearchPage.self)
            #expect(inGroup.total == 2_500 && inGroup.ids == Array(ids.reversed().prefix(100)) && inGroup.nextCursor != nil)
            let badFilter = try await platform.request(
                .GET, "\(internalBase)/users/search?applicationId=\(app)&attributes.plan=pro", headers: service, authorized: false)
            #expect(badFilter.isProblem(400))

            let stats = try await audience.call(.GET, "/groups-stats")
            #expect(stats.json["totalGroups"] as? Int == 2 && stats.json["emptyGroups"] as? Int == 1)
            #expect(stats.json["totalMemberships"] as? Int == 2_500 && (stats.json["byType"] as? [String: Int])?["static"] == 2)
            #expect(((stats.json["largest"] as? [[String: Any]])?.first)?["name"] as? String == "Big")
        }
    }
}
