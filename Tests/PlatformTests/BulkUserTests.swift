import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Bulk update and delete of users (issue 4, seeds 000 and 003): per-id outcomes, events for
/// audience, sessions ended by a type change, idempotency, and refusals that change nothing.
@Suite(.serialized) struct BulkUserTests {
    @Test func bulkUpdateReportsEachIdAndReachesAudience() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            let users = platform.url(.users) + "/api/v1/users"
            let signedIn = try await accounts.register("s@example.io")
            let session = try await accounts.login("s@example.io")
            var ids = [signedIn]
            for index in 0..<3 {
                ids.append(try #require(try await platform.request(.POST, users, json: ["email": "b\(index)@example.io"]).json["id"] as? String))
            }
            // One already has the target values: unchanged.
            #expect(try await platform.request(.PATCH, "\(users)/\(ids[3])", json: ["type": "lead", "department": "Sales"]).status == 200)
            let unknown = UUID().uuidString.lowercased()
            let body: [String: JSONValue] = [
                "userIds": .array((ids + [unknown]).map { .string($0) }),
                "updates": ["type": "lead", "department": "Sales"],
            ]
            let key = [("Idempotency-Key", "bulk-1")]
            let first = try await platform.request(.POST, "\(users)/bulk-update", json: body, headers: key)
            #expect(first.status == 200, "\(first.text)")
            let counts = first.json["counts"] as? [String: Int]
            #expect(counts == ["updated": 3, "unchanged": 1, "not_found": 1], "\(first.text)")
            let outcome = Dictionary(
                uniqueKeysWithValues: (first.json["results"] as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0["outcome"] as? String ?? "") })
            #expect(outcome[unknown] == "not_found" && outcome[ids[3]] == "unchanged" && outcome[ids[0]] == "updated")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE type = 'lead' AND department = 'Sales'") == 4)
            // The type change ended the signed-in user's session: its refresh token is refused.
            #expect(try await accounts.refresh(session.refreshToken).isProblem(401))
            // Audience's copies follow through the events, every version applied.
            _ = try await eventually {
                try platform.database.count(
                    """
                    SELECT count(*) FROM users.users u JOIN audience.user_projection p ON p.user_id = u.id
                    WHERE p.version = u.version AND p.type = 'lead' AND p.department = 'Sales'
                    """) == 4
            }
            let statuses: [String: JSONValue] = [
                "userIds": .array(ids.map { .string($0) }), "updates": ["status": "inactive", "city": "Oslo", "language": "nb", "type": "admin"],
            ]
            #expect(try await platform.request(.POST, "\(users)/bulk-update", json: statuses).status == 200)
            _ = try await eventually {
                try platform.database.count(
                    "SELECT count(*) FROM users.users u JOIN audience.user_projection p ON p.user_id = u.id WHERE p.version = u.version AND p.city = 'Oslo'") == 4
            }

            // A retry with the key returns the first answer and changes nothing; another body with it is refused.
            let versions = try platform.database.sql("SELECT sum(version) FROM users.users")
            let retry = try await platform.request(.POST, "\(users)/bulk-update", json: body, headers: key)
            #expect(retry.status == 200 && retry.text == first.text && retry.header("Idempotent-Replayed") == "true", "\(retry.text)")
            #expect(try platform.database.sql("SELECT sum(version) FROM users.users") == versions)
            let other: [String: JSONValue] = ["userIds": [.string(ids[1])], "updates": ["type": "user"]]
            #expect(try await platform.request(.POST, "\(users)/bulk-update", json: other, headers: key).isProblem(422))

            // Another application's user is not found, and stays as it was.
            let otherApplication = try await AudienceFixtures(platform: platform).otherApplication()
            let foreign = try #require(
                try await platform.request(
                    .POST, platform.url(.users) + "/api/v1/auth/register",
                    json: ["email": "f@example.io", "password": "correct horse 1", "applicationId": otherApplication.id], authorized: false
                ).json["id"] as? String)
            let crossing: [String: JSONValue] = ["userIds": [.string(foreign), .string(ids[1])], "updates": ["type": "visitor", "department": "X"]]
            let crossed = try await platform.request(.POST, "\(users)/bulk-update", json: crossing)
            #expect((crossed.json["counts"] as? [String: Int]) == ["updated": 1, "not_found": 1], "\(crossed.text)")
            #expect(try platform.database.sql("SELECT type || '/' || coalesce(department, '') FROM users.users WHERE id = '\(foreign)'") == "user/")
            #expect(try await platform.request(.POST, "\(users)/bulk-delete", json: ["userIds": [foreign]]).json["counts"] as? [String: Int] == ["not_found": 1])

            // Refusals name the problem and change nothing.
            let beforeRefusals = try platform.database.sql("SELECT sum(version) FROM users.users")
            for (bad, field) in [
                (["userIds": [.string(ids[1])], "updates": ["email": "x@example.io"]] as [String: JSONValue], "updates.email"),
                (["userIds": [.string(ids[1])], "updates": ["status": "blocked"]], "status"),
                (["userIds": [.string(ids[1])], "updates": ["type": "robot"]], "type"),
                (["userIds": [.string(ids[1])], "updates": [:]], "updates"),
                (["userIds": [], "updates": ["type": "user"]], "userIds"),
                (["userIds": [.string("nope")], "updates": ["type": "user"]], "userIds[0]"),
            ] {
                let response = try await platform.request(.POST, "\(users)/bulk-update", json: bad)
                #expect(response.status == 400 || response.status == 422, "\(bad): \(response.text)")
                #expect((response.json["errors"] as? [[String: Any]] ?? []).contains { ($0["field"] as? String ?? "").hasPrefix(field) }, "\(response.text)")
            }
            #expect(try platform.database.sql("SELECT sum(version) FROM users.users") == beforeRefusals)
            try await accounts.register("plain@example.io")
            #expect(try await accounts.asUser(try await accounts.login("plain@example.io"), .POST, "/api/v1/users/bulk-update", json: other).isProblem(403))
        }
    }

    @Test func bulkDeleteByIdsAndByFilter() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            var ids: [String] = []
            for (index, type) in ["lead", "lead", "user", "lead", "user"].enumerated() {
                ids.append(try #require(try await platform.request(.POST, users, json: ["email": "d\(index)@example.io", "type": type]).json["id"] as? String))
            }
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 5 }

            let byIDs = try await platform.request(.POST, "\(users)/bulk-delete", json: ["userIds": [ids[2], UUID().uuidString.lowercased()]])
            #expect(byIDs.status == 200 && (byIDs.json["counts"] as? [String: Int]) == ["deleted": 1, "not_found": 1], "\(byIDs.text)")

            // Seed 003's "delete all leads"; the key makes a retry a no-op.
            let leads: [String: JSONValue] = ["filter": ["type": "lead"]]
            let key = [("Idempotency-Key", "leads-gone")]
            let deleted = try await platform.request(.POST, "\(users)/bulk-delete", json: leads, headers: key)
            #expect(deleted.json["deleted"] as? Int == 3, "\(deleted.text)")
            let again = try await platform.request(.POST, "\(users)/bulk-delete", json: leads, headers: key)
            #expect(again.json["deleted"] as? Int == 3 && again.header("Idempotent-Replayed") == "true")
            #expect(try platform.database.sql("SELECT id FROM users.users") == ids[4])
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 1 }

            for bad: [String: JSONValue] in [["filter": [:]], ["filter": ["q": "  "]], ["filter": ["bogus": "x"]], [:], ["userIds": [.string(ids[4])], "filter": ["type": "user"]]] {
                let response = try await platform.request(.POST, "\(users)/bulk-delete", json: bad)
                #expect(response.status == 400 || response.status == 422, "\(bad): \(response.text)")
            }
            #expect(try platform.database.count("SELECT count(*) FROM users.users") == 1)
        }
    }

    /// Every user of a bulk update carries the same tags to audience: 4,000 users with 100 long
    /// tag names make about 42 MB of JSON, more than audience takes in one internal call
    /// (32 MiB), so the users service splits it.
    @Test func aLargeBulkUpdateReachesAudienceInSeveralCalls() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            let csv = "username\n" + (1...4_000).map { "many_\($0)" }.joined(separator: "\n")
            let started = try await platform.request(.POST, "\(users)/import", body: Data(csv.utf8), headers: [("Content-Type", "text/csv")])
            let done = try await ImportTests.finished(platform, try #require(started.json["id"] as? String))
            #expect(done["imported"] as? Int == 4_000, "\(done)")
            #expect(try await eventually(timeout: .seconds(60)) { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 4_000 })
            let ids = try platform.database.sql("SELECT string_agg(id::text, ',') FROM users.users").split(separator: ",").map { JSONValue.string(String($0)) }
            let long = String(repeating: "x", count: 94)
            let body: [String: JSONValue] = [
                "userIds": .array(ids), "addTags": .array((0..<50).map { .string("add\($0)\(long)") }),
                "removeTags": .array((0..<50).map { .string("gone\($0)\(long)") }),
            ]
            let answer = try await platform.request(.POST, "\(users)/bulk-update", json: body, timeout: .seconds(120))
            #expect(answer.status == 200, "\(answer.text.prefix(500))")
            #expect((answer.json["audience"] as? [String: Any])?["added"] as? Int == 200_000, "\(answer.text.prefix(500))")
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_tags") == 200_000)

            // Attributes go along with every user, so they are bounded.
            let big: [String: JSONValue] = ["userIds": [ids[0]], "attributes": ["note": .string(String(repeating: "y", count: 70_000))]]
            #expect(try await platform.request(.POST, "\(users)/bulk-update", json: big).isProblem(422))
        }
    }

    @Test func bulkUpdateChangesTagsAndGroupsThroughAudience() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = platform.url(.users) + "/api/v1/users"
            let group = try #require(try await audience.call(.POST, "/groups", json: ["name": "Beta"]).json["id"] as? String)
            let dynamic: [String: JSONValue] = [
                "name": "Rules", "type": "dynamic", "rules": ["criteria": [["field": "type", "operator": "equals", "value": "lead"]]],
            ]
            #expect(try await audience.call(.POST, "/groups", json: dynamic).status == 201)
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try #require(try await platform.request(.POST, users, json: ["email": "t\(index)@example.io"]).json["id"] as? String))
            }
            #expect(try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 3 })
            let body: [String: JSONValue] = [
                "userIds": .array(ids.map { .string($0) }), "addTags": ["VIP", "Gold"], "addGroups": ["beta", "Rules", "Nope"],
                "updates": ["department": "Sales"],
            ]
            let first = try await platform.request(.POST, "\(users)/bulk-update", json: body)
            #expect(first.status == 200, "\(first.text)")
            let report = first.json["audience"] as? [String: Any] ?? [:]
            #expect(report["added"] as? Int == 9 && report["createdTags"] as? [String] == ["Gold", "VIP"], "\(first.text)")
            let refused = (report["refusedGroups"] as? [[String: String]] ?? []).map { "\($0["reference"] ?? ""):\($0["reason"] ?? "")" }
            #expect(refused == ["Nope:unknown", "Rules:dynamic"], "\(first.text)")
            #expect(try platform.database.count("SELECT count(*) FROM audience.group_members WHERE group_id = '\(group)'") == 3)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_tags") == 6)
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE department = 'Sales'") == 3)

            // Only memberships: the users' rows stay as they are.
            let versions = try platform.database.sql("SELECT sum(version) FROM users.users")
            let remove: [String: JSONValue] = ["userIds": [.string(ids[0])], "removeTags": ["vip"], "removeGroups": [.string(group)]]
            let second = try await platform.request(.POST, "\(users)/bulk-update", json: remove)
            #expect(second.status == 200 && (second.json["audience"] as? [String: Any])?["removed"] as? Int == 2, "\(second.text)")
            #expect(try platform.database.sql("SELECT sum(version) FROM users.users") == versions)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_tags") == 5)

            // Attributes by slug: set for every listed user; a value that breaks a rule refuses everything.
            _ = try await audience.define(["name": "Score", "slug": "score", "type": "number", "validations": [["type": "max", "value": 10]]])
            let scored: [String: JSONValue] = ["userIds": .array(ids.map { .string($0) }), "attributes": ["score": 7]]
            let third = try await platform.request(.POST, "\(users)/bulk-update", json: scored)
            #expect(third.status == 200 && (third.json["audience"] as? [String: Any])?["attributesWritten"] as? Int == 3, "\(third.text)")
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values WHERE value_number = 7") == 3)
            let broken: [String: JSONValue] = [
                "userIds": .array(ids.map { .string($0) }), "attributes": ["score": 70, "nope": 1], "updates": ["city": "Oslo"],
            ]
            let refusal = try await platform.request(.POST, "\(users)/bulk-update", json: broken)
            #expect(refusal.isProblem(422), "\(refusal.text)")
            let fields = Set((refusal.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["attributes.score", "attributes.nope"], "\(refusal.text)")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE city = 'Oslo'") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values WHERE value_number = 7") == 3)

            // Audience away: 503 and nothing changed, the own fields included.
            try await platform.process(.audience).stop()
            let away: [String: JSONValue] = ["userIds": [.string(ids[1])], "addTags": ["Later"], "updates": ["city": "Oslo"]]
            #expect(try await platform.request(.POST, "\(users)/bulk-update", json: away).isProblem(503))
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE city = 'Oslo'") == 0)
            // Nothing to do is refused.
            #expect(try await platform.request(.POST, "\(users)/bulk-update", json: ["userIds": [ids[0]], "addTags": []]).isProblem(422))
        }
    }
}
