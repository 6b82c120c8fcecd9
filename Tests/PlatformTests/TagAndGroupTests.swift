import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Tags and static groups (seeds 000, 002): counts, merges, uploads, paging, deletion.
@Suite(.serialized) struct TagAndGroupTests {
    @Test func tagsMergeAtomicallyAndKeepExactCounts() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(6)
            func tag(_ name: String, system: Bool = false) async throws -> String {
                let created = try await audience.call(.POST, "/tags", json: ["name": .string(name), "category": "status", "isSystem": .bool(system)] as [String: JSONValue])
                #expect(created.status == 201, "\(created.text)")
                return try #require(created.json["id"] as? String)
            }
            let vip = try await tag("VIP")
            let gold = try await tag("Gold")
            let silver = try await tag("Silver")
            let locked = try await tag("Staff", system: true)
            #expect(try await audience.call(.POST, "/tags", json: ["name": "vip"]).isProblem(409))
            #expect(try await audience.call(.POST, "/tags", json: ["name": "x", "color": "red"]).isProblem(422))

            let assign = try await audience.call(.POST, "/tags/\(gold)/assign", json: ["userIds": Array(users[0..<4]) + [UUID().uuidString]])
            #expect(assign.json["added"] as? Int == 4 && assign.json["unknownCount"] as? Int == 1)
            let again = try await audience.call(.POST, "/tags/\(gold)/assign", json: ["userIds": Array(users[0..<2])])
            #expect(again.json["added"] as? Int == 0 && again.json["unchanged"] as? Int == 2)
            _ = try await audience.call(.POST, "/tags/\(silver)/assign", json: ["userIds": Array(users[2..<6])])
            _ = try await audience.call(.POST, "/tags/\(vip)/assign", json: ["userIds": [users[0]]])
            _ = try await audience.call(.POST, "/tags/\(locked)/assign", json: ["userIds": [users[5]]])
            let removed = try await audience.call(.POST, "/tags/\(silver)/unassign", json: ["userIds": [users[5], users[0]]])
            #expect(removed.json["removed"] as? Int == 1 && removed.json["unchanged"] as? Int == 1)

            // A system tag among the sources stops the merge after the copy: nothing changes.
            let before = try platform.database.sql("SELECT string_agg(tag_id::text || user_id::text, ',' ORDER BY tag_id, user_id) FROM audience.user_tags")
            let refused = try await audience.call(.POST, "/tags/merge", json: ["sourceTagIds": .array([.string(gold), .string(locked)]), "targetTagId": .string(vip)] as [String: JSONValue])
            #expect(refused.isProblem(409) && refused.json["code"] as? String == "system_tag")
            #expect(try platform.database.sql("SELECT string_agg(tag_id::text || user_id::text, ',' ORDER BY tag_id, user_id) FROM audience.user_tags") == before)
            #expect(try await audience.call(.GET, "/tags/\(vip)").json["usageCount"] as? Int == 1)

            let merged = try await audience.call(.POST, "/tags/merge", json: ["sourceTagIds": .array([.string(gold), .string(silver)]), "targetTagId": .string(vip)] as [String: JSONValue])
            #expect(merged.status == 200, "\(merged.text)")
            // Gold (users 0-3) and silver (2-4) collapse onto VIP (0): users 0-4, each once.
            #expect((merged.json["target"] as? [String: Any])?["usageCount"] as? Int == 5)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_tags WHERE tag_id = '\(vip)'") == 5)
            #expect(try await audience.call(.GET, "/tags/\(gold)").isProblem(404))
            #expect(try await audience.call(.POST, "/tags/merge", json: ["sourceTagIds": .array([.string(vip)]), "targetTagId": .string(vip)] as [String: JSONValue]).isProblem(422))

            #expect(try await audience.call(.DELETE, "/tags/\(locked)").isProblem(409))
            #expect(try await audience.call(.PATCH, "/tags/\(locked)", json: ["name": "Staff!"]).isProblem(409))
            #expect(try await audience.call(.PATCH, "/tags/\(locked)", json: ["color": "#00ff00"]).status == 200)
            let stats = try await audience.call(.GET, "/tags-stats")
            #expect(stats.json["totalTags"] as? Int == 2 && stats.json["totalAssignments"] as? Int == 6 && stats.json["taggedUsers"] as? Int == 6)
            let mine = try await audience.call(.GET, "/users/\(users[0])/tags")
            #expect((mine.json["data"] as? [[String: Any]])?.map { $0["name"] as? String } == ["VIP"])
            let search = try await audience.call(.GET, "/tags?q=sta&category=status")
            #expect((search.json["data"] as? [[String: Any]])?.count == 1)
            #expect(try await audience.call(.GET, "/users/\(UUID())/tags").isProblem(404))
        }
    }

    @Test func concurrentAddAndRemoveKeepTheMemberCountExact() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(300)
            let group = try #require(try await audience.call(.POST, "/groups", json: ["name": "Busy"]).json["id"] as? String)
            // 24 requests at once, overlapping sets, adds and removes of the same users, and
            // recounts running between them.
            let jobs = LockedBox<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for round in 0..<24 {
                    tasks.addTask {
                        if round % 6 == 5 {
                            let refresh = try await audience.call(.POST, "/groups/\(group)/refresh")
                            #expect(refresh.status == 202)
                            jobs.withLock { $0.append(refresh.header("Location") ?? "") }
                            return
                        }
                        let slice = Array(users.shuffled().prefix(120))
                        let action = round % 3 == 2 ? "remove-users" : "add-users"
                        let response = try await audience.call(.POST, "/groups/\(group)/\(action)", json: ["userIds": slice])
                        #expect(response.status == 200, "\(response.text)")
                    }
                }
                try await tasks.waitForAll()
            }
            for job in jobs.withLock({ $0 }) { #expect(try await audience.finish(job)["status"] as? String == "succeeded") }
            let real = try platform.database.count("SELECT count(*) FROM audience.group_members WHERE group_id = '\(group)'")
            #expect(real > 0)
            #expect(try await audience.call(.GET, "/groups/\(group)").json["memberCount"] as? Int == real)
        }
    }

    @Test func groupsFromCSVWithCursorPagingAndDeletion() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(25)
            let csv = "email\r\nu1@example.io\n\"U2@EXAMPLE.IO\"\nnobody@example.io\nnot-an-email\n" + users[3] + "\n+1 (555) 000-0005\n"
            let created = try await audience.upload("/groups/import?name=Imported&category=crm&tags=a,b", csv: csv)
            #expect(created.status == 201, "\(created.text)")
            let report = try #require(created.json["import"] as? [String: Any])
            // With an "email" header every row is read as an email: the id and phone rows do not match.
            #expect(report["rows"] as? Int == 6 && report["matched"] as? Int == 2 && report["unmatchedCount"] as? Int == 4)
            let lines = (report["unmatched"] as? [[String: Any]] ?? []).map { $0["line"] as? Int ?? 0 }
            #expect(lines == [4, 5, 6, 7])
            let group = try #require(created.json["group"] as? [String: Any])
            #expect(group["memberCount"] as? Int == 2 && group["tags"] as? [String] == ["a", "b"])
            let id = try #require(group["id"] as? String)

            // Without a header each value is read as what it looks like.
            let u10 = try platform.database.sql("SELECT user_id FROM audience.user_projection WHERE email = 'u10@example.io'")
            let mixed = try await audience.upload("/groups/\(id)/import", csv: u10 + "\n+1 (555) 000-0005\nu6@example.io\n")
            #expect(mixed.json["matched"] as? Int == 3 && mixed.json["added"] as? Int == 3)
            #expect(try await audience.upload("/groups/\(id)/import", csv: "a,\"b\n").isProblem(400))
            let notCSV = try await platform.request(
                .POST, audience.base + "/groups/\(id)/import", body: Data("x".utf8), headers: [("Content-Type", "text/plain")])
            #expect(notCSV.isProblem(415))
            _ = try await audience.call(.POST, "/groups/\(id)/add-users", json: ["userIds": users])
            #expect(try await audience.call(.GET, "/groups/\(id)").json["memberCount"] as? Int == 25)

            // Cursor paging forwards and back, in id order.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await audience.call(.GET, "/groups/\(id)/users?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += (page.json["data"] as? [[String: Any]] ?? []).compactMap { $0["userId"] as? String }
                cursor = (page.json["pagination"] as? [String: Any])?["nextCursor"] as? String
            } while cursor != nil
            #expect(seen == users)
            let first = try await audience.call(.GET, "/groups/\(id)/users?limit=10")
            let next = try #require((first.json["pagination"] as? [String: Any])?["nextCursor"] as? String)
            let second = try await audience.call(.GET, "/groups/\(id)/users?limit=10&cursor=\(next)")
            let prevCursor = try #require((second.json["pagination"] as? [String: Any])?["prevCursor"] as? String)
            let back = try await audience.call(.GET, "/groups/\(id)/users?limit=10&direction=prev&cursor=\(prevCursor)")
            #expect((back.json["data"] as? [[String: Any]])?.compactMap { $0["userId"] as? String } == Array(users[0..<10]))
            #expect((back.json["pagination"] as? [String: Any])?["hasPrevious"] as? Bool == false)
            let found = try await audience.call(.GET, "/groups/\(id)/users?q=u17%40")
            #expect((found.json["data"] as? [[String: Any]])?.count == 1)
            #expect(try await audience.call(.GET, "/groups/\(id)/users?cursor=nonsense").isProblem(400))

            // Lookups by uid, listings by label and category, a user's groups, the recount job.
            let uid = try #require(group["uid"] as? Int)
            #expect(try await audience.call(.GET, "/groups/\(uid)").json["id"] as? String == id)
            #expect(try await audience.call(.GET, "/groups/tags").json["items"] as? [String] == ["a", "b"])
            #expect(((try await audience.call(.GET, "/groups/categories").json["items"] as? [[String: Any]])?.first)?["category"] as? String == "crm")
            #expect(((try await audience.call(.GET, "/groups/by-category").json["groups"] as? [String: Any])?["crm"] as? [Any])?.count == 1)
            #expect((try await audience.call(.GET, "/users/\(users[0])/groups").json["data"] as? [Any])?.count == 1)
            let filtered = try await audience.call(.GET, "/groups?tags=b&status=active&sort=-memberCount")
            #expect((filtered.json["pagination"] as? [String: Any])?["total"] as? Int == 1)
            let stale = try await audience.call(.PATCH, "/groups/\(id)", json: ["name": "X"], headers: [("If-Match", "\"9\"")])
            #expect(stale.isProblem(412))
            #expect(try await audience.call(.PATCH, "/groups/\(id)", json: ["type": "dynamic"]).isProblem(422))
            let refresh = try await audience.call(.POST, "/groups/\(id)/refresh")
            #expect(refresh.status == 202)
            let job = try await audience.finish(try #require(refresh.header("Location")))
            #expect(job["status"] as? String == "succeeded" && (job["result"] as? [String: Any])?["memberCount"] as? Int == 25)

            // Another application can neither see nor change it.
            let other = try await audience.otherApplication()
            for (method, path) in [(HTTPMethod.GET, "/groups/\(id)"), (.DELETE, "/groups/\(id)"), (.GET, "/groups/\(id)/users")] {
                #expect(try await platform.request(method, audience.base + path, headers: other.key, authorized: false).isProblem(404))
            }
            let foreignAdd = try await platform.request(
                .POST, audience.base + "/groups/\(id)/add-users", json: ["userIds": [users[0]]], headers: other.key, authorized: false)
            #expect(foreignAdd.isProblem(404))

            // Deleting the group removes its memberships.
            #expect(try await audience.call(.DELETE, "/groups/\(id)").status == 204)
            #expect(try platform.database.count("SELECT count(*) FROM audience.group_members") == 0)
        }
    }

    @Test func aDeletedUserLeavesNoValuesOrMemberships() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let accounts = Accounts(platform: platform)
            let userID = try await accounts.register("leaving@example.io")
            let stay = try await accounts.register("staying@example.io")
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 2 }
            _ = try await audience.define(["name": "Score", "slug": "score", "type": "number"])
            let tag = try #require(try await audience.call(.POST, "/tags", json: ["name": "T"]).json["id"] as? String)
            let group = try #require(try await audience.call(.POST, "/groups", json: ["name": "G"]).json["id"] as? String)
            for user in [userID, stay] {
                #expect(try await audience.call(.PUT, "/users/\(user)/attributes/score", json: ["value": 1]).status == 200)
            }
            _ = try await audience.call(.POST, "/tags/\(tag)/assign", json: ["userIds": [userID, stay]])
            _ = try await audience.call(.POST, "/groups/\(group)/add-users", json: ["userIds": [userID, stay]])

            #expect(try await accounts.asAdmin(.DELETE, "/api/v1/users/\(userID)").status == 204)
            let gone = try await eventually {
                try platform.database.count("SELECT count(*) FROM audience.user_projection WHERE user_id = '\(userID)'") == 0
            }
            #expect(gone)
            for table in ["attribute_values", "user_tags", "group_members"] {
                #expect(try platform.database.count("SELECT count(*) FROM audience.\(table) WHERE user_id = '\(userID)'") == 0)
                #expect(try platform.database.count("SELECT count(*) FROM audience.\(table) WHERE user_id = '\(stay)'") == 1)
            }
            #expect(try await audience.call(.GET, "/groups/\(group)").json["memberCount"] as? Int == 1)
            #expect(try await audience.call(.GET, "/tags/\(tag)").json["usageCount"] as? Int == 1)
        }
    }
}
