import Foundation
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Rules (issue 6): validation by path, segments (CRUD, test, preview, members, export, clone,
/// explain), dynamic groups, materialized members kept current by changes, events.
@Suite(.serialized) struct RuleTests {
    /// 300 users: status active except every 10th blocked; engagement score n % 100; country
    /// FR for even n, DE for odd; plan pro for every 3rd user, team for every 5th (when not pro).
    static func seed(_ audience: AudienceFixtures) async throws -> [String] {
        let users = try audience.seedUsers(300, prefix: "r")
        try audience.platform.database.sql(
            """
            UPDATE audience.user_projection SET
                status = CASE WHEN n % 10 = 0 THEN 'blocked' ELSE 'active' END,
                engagement_score = n % 100, country = CASE WHEN n % 2 = 0 THEN 'FR' ELSE 'DE' END
            FROM (SELECT user_id, substring(email from 2 for position('@' in email) - 2)::int AS n FROM audience.user_projection) x
            WHERE x.user_id = user_projection.user_id
            """)
        _ = try await audience.define(["name": "Plan", "slug": "plan", "type": "string", "searchable": true])
        _ = try await audience.define(["name": "Notes", "slug": "notes", "type": "string"])
        let rows = try audience.platform.database.sql(
            """
            SELECT json_agg(json_build_object('userId', user_id::text,
                'plan', CASE WHEN n % 3 = 0 THEN 'pro' ELSE 'team' END))
            FROM (SELECT user_id, substring(email from 2 for position('@' in email) - 2)::int AS n FROM audience.user_projection) x
            WHERE n % 3 = 0 OR n % 5 = 0
            """)
        let items = try JSONDecoder().decode([[String: String]].self, from: Data(rows.utf8))
        let body: [String: JSONValue] = [
            "items": .array(items.map { .object(["userId": .string($0["userId"]!), "attributes": .object(["plan": .string($0["plan"]!)])]) })
        ]
        let job = try await audience.call(.PATCH, "/user-attributes", json: body)
        #expect(job.status == 202, "\(job.text)")
        let finished = try await audience.finish("/api/v1/audience/jobs/\(try #require(job.json["id"] as? String))")
        #expect(finished["status"] as? String == "succeeded")
        return users
    }

    /// The number of seeded users `n` (1...300) meeting `condition`.
    static func expected(_ condition: (Int) -> Bool) -> Int { (1...300).filter(condition).count }

    static func plan(_ n: Int) -> String? { n % 3 == 0 ? "pro" : n % 5 == 0 ? "team" : nil }

    /// Waits until a segment's (or group's) count is `count` after its calculation, and returns the resource.
    static func calculated(_ audience: AudienceFixtures, _ path: String, field: String, count: Int) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let done = try await eventually(timeout: .seconds(30), every: .milliseconds(100)) {
            last = try await audience.call(.GET, path).json
            return last["lastCalculated"] is String && last[field] as? Int == count
        }
        #expect(done, "\(path): \(last)")
        return last
    }

    @Test func rulesAreValidatedByPath() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await Self.seed(audience)
            func refused(_ criteria: JSONValue, field: String, code: String, extra: [String: JSONValue] = [:]) async throws {
                var body: [String: JSONValue] = ["name": "Bad", "criteria": criteria]
                body.merge(extra) { _, new in new }
                let response = try await audience.call(.POST, "/segments", json: body)
                #expect(response.isProblem(422), "\(criteria): \(response.text)")
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["field"] as? String == field && $0["code"] as? String == code }, "\(field) \(code): \(response.text)")
            }
            try await refused([["field": "shoeSize", "operator": "equals", "value": 1]], field: "criteria[0].field", code: "unknown_field")
            try await refused([["field": "status", "operator": "greater_than", "value": "a"]], field: "criteria[0].operator", code: "operator_not_allowed")
            try await refused([["field": "status", "operator": "equals", "value": "sleeping"]], field: "criteria[0].value", code: "invalid_value")
            try await refused(
                [["field": "engagement.engagementScore", "operator": "equals", "value": "high"]], field: "criteria[0].value", code: "invalid_value")
            try await refused([["field": "attributes.notes", "operator": "equals", "value": "x"]], field: "criteria[0].field", code: "unknown_field")
            try await refused([["field": "attributes.nope", "operator": "equals", "value": "x"]], field: "criteria[0].field", code: "unknown_field")
            try await refused([["field": "email", "operator": "regex", "value": "(unclosed"]], field: "criteria[0].value", code: "invalid_regex")
            try await refused([["field": "createdAt", "operator": "less_than", "value": "yesterday"]], field: "criteria[0].value", code: "invalid_value")
            try await refused([["field": "engagement.visits", "operator": "between", "value": [10, 1]]], field: "criteria[0].value", code: "invalid_value")
            try await refused([["field": "email", "operator": "equals_ci"]], field: "criteria[0].value", code: "invalid_value")
            try await refused([["field": "engagement.visits", "operator": "equals_ci", "value": 1]], field: "criteria[0].operator", code: "operator_not_allowed")
            try await refused(
                [["field": "status", "operator": "equals", "value": "active"],
                 ["logic": "OR", "criteria": [["field": "country", "operator": "in", "value": []]]]],
                field: "criteria[1].criteria[0].value", code: "invalid_value")
            try await refused("everyone", field: "criteria", code: "invalid_criteria")
            try await refused([], field: "logic", code: "invalid_logic", extra: ["logic": "XOR"])
            try await refused([], field: "includeSegments[0]", code: "unknown_segment", extra: ["includeSegments": [.string(EntityID.generate().description)]])
            let malformed = try await platform.request(
                .POST, audience.base + "/segments", body: Data(#"{"name":"x","criteria":[{"field":"status""#.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(malformed.isProblem(400))
            #expect(try platform.database.count("SELECT count(*) FROM audience.segments") == 0, "nothing saved")
            // Dynamic groups need rules; static ones take none.
            #expect(try await audience.call(.POST, "/groups", json: ["name": "D", "type": "dynamic"]).isProblem(422))
            let staticRule: [String: JSONValue] = ["name": "S", "rules": ["criteria": [["field": "status", "operator": "equals", "value": "active"]]]]
            let staticWithRules = try await audience.call(.POST, "/groups", json: staticRule)
            #expect(staticWithRules.isProblem(422))
            let badRule: [String: JSONValue] = [
                "name": "D", "type": "dynamic", "rules": ["criteria": [["field": "status", "operator": "exists", "value": 3]]],
            ]
            let badGroupRule = try await audience.call(.POST, "/groups", json: badRule)
            #expect((badGroupRule.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "rules.criteria[0].value")
            #expect(try platform.database.count("SELECT count(*) FROM audience.groups") == 0)
        }
    }

    @Test func segmentsMaterializeTestExplainAndExport() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try await Self.seed(audience)
            let criteria: JSONValue = [
                ["field": "status", "operator": "equals", "value": "active"],
                ["field": "engagement.engagementScore", "operator": "greater_or_equal", "value": 50],
                ["field": "attributes.plan", "operator": "in", "value": ["pro", "team"]],
            ]
            let activeEngagedPaying = Self.expected { $0 % 10 != 0 && $0 % 100 >= 50 && Self.plan($0) != nil }
            let created = try await audience.call(.POST, "/segments", json: ["name": "Engaged payers", "criteria": criteria, "logic": "AND"])
            #expect(created.status == 201, "\(created.text)")
            let a = try #require(created.json["id"] as? String)
            #expect(created.json["criteria"] as? [[String: Any]] != nil && created.json["logic"] as? String == "AND")
            _ = try await Self.calculated(audience, "/segments/\(a)", field: "userCount", count: activeEngagedPaying)
            #expect(try platform.database.count("SELECT count(*) FROM audience.segment_members WHERE segment_id = '\(a)'") == activeEngagedPaying)

            // Test: the saved rule now; preview: the same answer for an unsaved rule.
            let tested = try await audience.call(.POST, "/segments/\(a)/test")
            #expect(tested.json["userCount"] as? Int == activeEngagedPaying)
            #expect((tested.json["sampleUsers"] as? [[String: Any]])?.count == min(10, activeEngagedPaying))
            #expect(tested.json["executionTime"] as? Int != nil)
            let preview = try await audience.call(.POST, "/segments/preview", json: ["criteria": criteria])
            #expect(preview.json["userCount"] as? Int == activeEngagedPaying, "\(preview.text)")

            // OR groups nested, case-insensitive and relative-time operators, includes and excludes.
            let nested: [String: JSONValue] = [
                "name": "French or engaged", "logic": "AND",
                "criteria": [
                    ["field": "createdAt", "operator": "greater_than", "value": "1d"],
                    ["logic": "OR", "criteria": [
                        ["field": "country", "operator": "equals_ci", "value": "fr"],
                        ["field": "engagement.engagementScore", "operator": "between", "value": [90, 99]],
                    ]],
                    ["field": "email", "operator": "regex", "value": "^r[0-9]+@"],
                    ["field": "firstName", "operator": "not_contains", "value": "First7"],
                ],
                "excludeSegments": [.string(a)],
            ]
            let inA: (Int) -> Bool = { $0 % 10 != 0 && $0 % 100 >= 50 && Self.plan($0) != nil }
            let bCount = Self.expected { n in
                (n % 2 == 0 || (90...99).contains(n % 100)) && !"First\(n)".contains("First7") && !inA(n)
            }
            let b = try #require(try await audience.call(.POST, "/segments", json: nested).json["id"] as? String)
            _ = try await Self.calculated(audience, "/segments/\(b)", field: "userCount", count: bCount)
            #expect(try await audience.call(.POST, "/segments/\(b)/test").json["userCount"] as? Int == bCount)

            // Cycles are refused; a segment another rule names cannot be deleted.
            let cycle = try await audience.call(.PATCH, "/segments/\(a)", json: ["includeSegments": [JSONValue.string(b)]])
            #expect(cycle.isProblem(422) && cycle.text.contains("segment_cycle"), "\(cycle.text)")
            #expect(try await audience.call(.DELETE, "/segments/\(a)").isProblem(409))

            // Members page with the exact total; CSV export of every member.
            let page = try await audience.call(.GET, "/segments/\(a)/users?limit=5")
            #expect((page.json["pagination"] as? [String: Any])?["total"] as? Int == activeEngagedPaying)
            #expect((page.json["data"] as? [[String: Any]])?.count == 5)
            let export = try await audience.call(.GET, "/segments/\(a)/export")
            #expect(export.status == 200 && export.headers.first(name: "Content-Type")?.hasPrefix("text/csv") == true)
            let lines = export.text.split(separator: "\r\n")
            #expect(lines.first == "id,email,phone,username,firstName,lastName,type,status,createdAt,addedAt")
            #expect(lines.count == activeEngagedPaying + 1)

            // The search (public, and internal for the users service) filters by segment.
            let found = try await audience.call(.GET, "/audience/users?segments=\(a)&limit=5")
            #expect((found.json["pagination"] as? [String: Any])?["total"] as? Int == activeEngagedPaying, "\(found.text.prefix(300))")

            // The member-id stream for broadcasts, as for groups.
            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .notification).token()
            let app = try audience.applicationID()
            let ids = try await platform.request(
                .GET, platform.url(.audience) + "/internal/v1/audience/segments/\(a)/member-ids?applicationId=\(app)&limit=10000",
                headers: [("Authorization", "Bearer \(token)")], authorized: false
            ).decode(MemberIDPage.self)
            #expect(ids.ids.count == activeEngagedPaying && ids.nextCursor == nil)

            // Explain: a member, and a user failing only the engagement criterion.
            let member = try #require((page.json["data"] as? [[String: Any]])?.first?["userId"] as? String)
            let explained = try await audience.call(.GET, "/segments/\(a)/explain?userId=\(member)")
            #expect(explained.json["matches"] as? Bool == true, "\(explained.text)")
            let outsider = try platform.database.sql("SELECT user_id FROM audience.user_projection WHERE email = 'r9@example.io'")
            let why = try await audience.call(.GET, "/segments/\(a)/explain?userId=\(outsider)").json
            #expect(why["matches"] as? Bool == false)
            let results = (why["criteria"] as? [[String: Any]] ?? []).map { $0["matched"] as? Bool }
            #expect(results == [true, false, true], "\(why)")
            #expect((why["criteria"] as? [[String: Any]])?[1]["actual"] as? Int == 9)
            #expect(try await audience.call(.GET, "/segments/\(a)/explain?userId=\(EntityID.generate())").isProblem(404))
            #expect(try await audience.call(.GET, "/segments/\(a)/explain").isProblem(400))

            // A clone has the same rule and, once calculated, the same members.
            let clone = try await audience.call(.POST, "/segments/\(a)/clone")
            #expect(clone.status == 201 && clone.json["name"] as? String == "Engaged payers (copy)")
            _ = try await Self.calculated(
                audience, "/segments/\(try #require(clone.json["id"] as? String))", field: "userCount", count: activeEngagedPaying)

            // Another application sees none of it and cannot name it.
            let other = try await audience.otherApplication()
            #expect(try await platform.request(.GET, audience.base + "/segments/\(a)", headers: other.key).isProblem(404))
            let foreign = try await platform.request(
                .POST, audience.base + "/segments", json: ["name": "x", "includeSegments": [.string(a)]] as [String: JSONValue], headers: other.key)
            #expect(foreign.isProblem(422))
            _ = users
        }
    }

    @Test func dynamicGroupsFollowChangesAndAnnounceThem() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await Self.seed(audience)
            let pro = Self.expected { $0 % 3 == 0 }
            let body: [String: JSONValue] = [
                "name": "Pro", "type": "dynamic", "rules": ["criteria": [["field": "attributes.plan", "operator": "equals", "value": "pro"]]],
            ]
            let created = try await audience.call(.POST, "/groups", json: body)
            #expect(created.status == 201, "\(created.text)")
            let group = try #require(created.json["id"] as? String)
            #expect((created.json["rules"] as? [String: Any])?["logic"] as? String == "AND")
            _ = try await Self.calculated(audience, "/groups/\(group)", field: "memberCount", count: pro)

            // A value written makes the user a member in the same transaction; deleting it ends that.
            let newcomer = try platform.database.sql("SELECT user_id FROM audience.user_projection WHERE email = 'r1@example.io'")
            #expect(try await audience.call(.PUT, "/users/\(newcomer)/attributes/plan", json: ["value": "pro"]).status == 200)
            #expect(try await audience.call(.GET, "/groups/\(group)").json["memberCount"] as? Int == pro + 1)
            let groupsOfUser = try await audience.call(.GET, "/users/\(newcomer)/groups").json["data"] as? [[String: Any]]
            #expect(groupsOfUser?.contains { $0["id"] as? String == group } == true)
            #expect(try await audience.call(.DELETE, "/users/\(newcomer)/attributes/plan").status == 204)
            #expect(try await audience.call(.GET, "/groups/\(group)").json["memberCount"] as? Int == pro)
            let events = try platform.database.sql(
                """
                SELECT payload->>'change' FROM audience.outbox_events
                WHERE event_type = 'audience.membership_changed' AND subject_id = '\(group)' AND payload->'userIds' ? '\(newcomer)'
                ORDER BY seq
                """)
            #expect(events.split(separator: "\n") == ["added", "removed"])
            let announced = try platform.database.count(
                """
                SELECT sum(jsonb_array_length(payload->'userIds')) FROM audience.outbox_events
                WHERE event_type = 'audience.membership_changed' AND subject_id = '\(group)' AND payload->>'change' = 'added'
                """)
            #expect(announced == pro + 1, "every entry announced once")

            // Members are the rule's: not added by hand; recalculation is a job; explain works for groups.
            #expect(try await audience.call(.POST, "/groups/\(group)/add-users", json: ["userIds": [newcomer]]).isProblem(409))
            let job = try await audience.call(.POST, "/groups/\(group)/recalculate")
            #expect(job.status == 202)
            let done = try await audience.finish("/api/v1/audience/jobs/\(try #require(job.json["id"] as? String))")
            #expect((done["result"] as? [String: Any])?["memberCount"] as? Int == pro, "\(done)")
            #expect((done["result"] as? [String: Any])?["added"] as? Int == 0)
            #expect(try await audience.call(.GET, "/groups/\(group)/explain?userId=\(newcomer)").json["matches"] as? Bool == false)

            // Tags assigned and unassigned move users in the same transaction; renaming the tag recalculates rules naming it.
            let tag = try #require(try await audience.call(.POST, "/tags", json: ["name": "VIP"]).json["id"] as? String)
            let vipRule: [String: JSONValue] = ["name": "VIPs", "criteria": [["field": "tags", "operator": "contains", "value": "vip"]]]
            let vips = try #require(try await audience.call(.POST, "/segments", json: vipRule).json["id"] as? String)
            _ = try await Self.calculated(audience, "/segments/\(vips)", field: "userCount", count: 0)
            let three = try platform.database.sql("SELECT user_id FROM audience.user_projection ORDER BY user_id LIMIT 3")
                .split(separator: "\n").map { JSONValue.string(String($0)) }
            _ = try await audience.call(.POST, "/tags/\(tag)/assign", json: ["userIds": JSONValue.array(three)])
            #expect(try await audience.call(.GET, "/segments/\(vips)").json["userCount"] as? Int == 3)
            _ = try await audience.call(.POST, "/tags/\(tag)/unassign", json: ["userIds": JSONValue.array([three[0]])])
            #expect(try await audience.call(.GET, "/segments/\(vips)").json["userCount"] as? Int == 2)
            #expect(try await audience.call(.PUT, "/tags/\(tag)", json: ["name": "Gold"]).status == 200)
            let renamed = try await eventually(timeout: .seconds(20)) {
                try await audience.call(.GET, "/segments/\(vips)").json["userCount"] as? Int == 0
            }
            #expect(renamed)

            // An attribute a rule tests can be neither deleted nor made unsearchable.
            let inUse = try await audience.call(.DELETE, "/attribute-definitions/plan")
            #expect(inUse.isProblem(409) && inUse.text.contains("attribute_in_use"), "\(inUse.text)")
            #expect(try await audience.call(.PATCH, "/attribute-definitions/plan", json: ["searchable": false]).isProblem(409))

            // Changing the rule recalculates.
            let newRule: [String: JSONValue] = ["rules": ["criteria": [["field": "attributes.plan", "operator": "exists"]]]]
            let changed = try await audience.call(.PATCH, "/groups/\(group)", json: newRule)
            #expect(changed.status == 200, "\(changed.text)")
            _ = try await Self.calculated(audience, "/groups/\(group)", field: "memberCount", count: Self.expected { Self.plan($0) != nil })

            // Deleting the group announces every member's exit.
            let before = try platform.database.count(
                """
                SELECT coalesce(sum(jsonb_array_length(payload->'userIds')), 0) FROM audience.outbox_events
                WHERE subject_id = '\(group)' AND payload->>'change' = 'removed'
                """)
            #expect(try await audience.call(.DELETE, "/groups/\(group)").status == 204)
            let after = try platform.database.count(
                """
                SELECT coalesce(sum(jsonb_array_length(payload->'userIds')), 0) FROM audience.outbox_events
                WHERE subject_id = '\(group)' AND payload->>'change' = 'removed'
                """)
            #expect(after - before == Self.expected { Self.plan($0) != nil })
        }
    }

    @Test func userEventsReevaluateRulesInTheirTransaction() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = platform.url(.users) + "/api/v1/users"
            let spain: [String: JSONValue] = ["name": "In Spain", "criteria": [["field": "country", "operator": "equals", "value": "ES"]]]
            let segment = try await audience.call(.POST, "/segments", json: spain)
            let id = try #require(segment.json["id"] as? String)
            let created = try await platform.request(.POST, users, json: ["email": "traveller@example.com", "firstName": "T"])
            let user = try #require(created.json["id"] as? String)
            #expect(try await platform.request(.PATCH, "\(users)/\(user)", json: ["country": "ES"]).status == 200)
            let entered = try await eventually(timeout: .seconds(20)) {
                try platform.database.count("SELECT count(*) FROM audience.segment_members WHERE segment_id = '\(id)' AND user_id = '\(user)'") == 1
            }
            #expect(entered)
            #expect(try await platform.request(.DELETE, "\(users)/\(user)").status == 204)
            let left = try await eventually(timeout: .seconds(20)) {
                try await audience.call(.GET, "/segments/\(id)").json["userCount"] as? Int == 0
            }
            #expect(left)
            #expect(try platform.database.sql(
                "SELECT string_agg(payload->>'change', ',' ORDER BY seq) FROM audience.outbox_events WHERE subject_id = '\(id)'") == "added,removed")
        }
    }

    @Test func rulesNamingATimeAgoAreRecalculatedAsTimePasses() async throws {
        try await withPlatform([.users, .audience], environment: ["ROSTER_RULES_TIME_REFRESH_SECONDS": "1"]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(3, prefix: "t")
            try platform.database.sql(
                "UPDATE audience.user_projection SET last_activity_at = now() - interval '5 seconds' WHERE user_id = '\(users[0])'")
            let recent: [String: JSONValue] = ["name": "Active lately", "criteria": [["field": "lastActivity", "operator": "greater_than", "value": "12s"]]]
            let timed = try #require(try await audience.call(.POST, "/segments", json: recent).json["id"] as? String)
            let plain: [String: JSONValue] = ["name": "Active", "criteria": [["field": "status", "operator": "equals", "value": "active"]]]
            let untimed = try #require(try await audience.call(.POST, "/segments", json: plain).json["id"] as? String)
            _ = try await Self.calculated(audience, "/segments/\(timed)", field: "userCount", count: 1)
            // Nothing about the user changes; seven seconds later their last activity is too long ago.
            let left = try await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
                try await audience.call(.GET, "/segments/\(timed)").json["userCount"] as? Int == 0
            }
            #expect(left)
            #expect(try platform.database.count(
                "SELECT count(*) FROM audience.jobs WHERE idempotency_key LIKE 'time-refresh:\(timed):%'") >= 1)
            #expect(try platform.database.count(
                "SELECT count(*) FROM audience.jobs WHERE idempotency_key LIKE 'time-refresh:\(untimed):%'") == 0)
        }
    }

    @Test func eventsCarryAThousandUsersAndRulesStayBounded() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try audience.seedUsers(2_500, prefix: "e")
            let everyone = try #require(try await audience.call(.POST, "/segments", json: ["name": "Everyone"]).json["id"] as? String)
            _ = try await Self.calculated(audience, "/segments/\(everyone)", field: "userCount", count: 2_500)
            let sizes = try platform.database.sql(
                """
                SELECT string_agg(jsonb_array_length(payload->'userIds')::text, ',' ORDER BY seq) FROM audience.outbox_events
                WHERE subject_id = '\(everyone)' AND event_type = 'audience.membership_changed'
                """)
            #expect(sizes == "1000,1000,500")

            // Six segments of 100 criteria: naming them all would make a rule of 600.
            let hundred: [String: JSONValue] = [
                "criteria": .array(Array(repeating: ["field": "status", "operator": "equals", "value": "active"], count: 100))
            ]
            var big: [JSONValue] = []
            for index in 0..<6 {
                var body = hundred
                body["name"] = .string("Big \(index)")
                let created = try await audience.call(.POST, "/segments", json: body)
                #expect(created.status == 201, "\(created.text)")
                big.append(.string(try #require(created.json["id"] as? String)))
            }
            let tooLarge = try await audience.call(.POST, "/segments", json: ["name": "All big", "includeSegments": .array(big)] as [String: JSONValue])
            #expect(tooLarge.isProblem(422) && tooLarge.text.contains("rule_too_large"), "\(tooLarge.text)")
            let fits = try await audience.call(.POST, "/segments", json: ["name": "Some big", "includeSegments": .array(Array(big.prefix(4)))] as [String: JSONValue])
            #expect(fits.status == 201, "\(fits.text)")
        }
    }
}
