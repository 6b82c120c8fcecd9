import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// User statistics (issue 4) at UTC period boundaries, and activity feeding the engagement
/// score through to audience's rules.
@Suite(.serialized) struct UserStatsTests {
    @Test func statsCountByUTCPeriodsTypesAgesAndPreferences() async throws {
        try await withPlatform([.users]) { platform in
            let app = try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")
            // Each user: created (SQL), type, status, sex, birth date, email verified, preferences.
            let rows = [
                ("now()", "lead", "active", "'male'", "(now() AT TIME ZONE 'UTC')::date - interval '26 years'", "'a@x.io'", false,
                    #"{"categories": ["fashion", "tech"], "networks": ["instagram"]}"#),
                ("date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 second'", "user", "blocked", "'female'",
                    "(now() AT TIME ZONE 'UTC')::date - interval '11 years'", "'b@x.io'", true, "{}"),
                ("date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 second'", "agent", "active", "NULL", "NULL",
                    "NULL", false, "{}"),
                ("date_trunc('year', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 second'", "user", "inactive", "'other'",
                    "(now() AT TIME ZONE 'UTC')::date - interval '70 years'", "'d@x.io'", false, #"{"categories": ["fashion"]}"#),
                ("date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 second'", "user", "active", "NULL", "NULL",
                    "'e@x.io'", true, #"{"categories": "not a list"}"#),
            ]
            for (created, type, status, sex, birth, email, verified, preferences) in rows {
                try platform.database.sql(
                    """
                    INSERT INTO users.users (id, application_id, email, type, status, sex, birth_date, email_verified, preferences, created_at,
                        updated_at)
                    VALUES (gen_random_uuid(), '\(app)', \(email), '\(type)', '\(status)', \(sex), \(birth), \(verified), '\(preferences)',
                        \(created), now())
                    """)
            }
            // What each period should count, decided here from the stored instants with a UTC calendar.
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let instants = try platform.database.sql("SELECT extract(epoch FROM created_at)::float8 FROM users.users WHERE application_id = '\(app)'")
                .split(separator: "\n").map { Date(timeIntervalSince1970: Double($0)!) }
            let now = Date()
            func count(_ component: Calendar.Component) -> Int {
                let start = calendar.dateInterval(of: component, for: now)!.start
                return instants.filter { $0 >= start }.count
            }

            let summary = try await platform.request(.GET, platform.url(.users) + "/api/v1/users-stats")
            #expect(summary.status == 200, "\(summary.text)")
            let newUsers = summary.json["newUsers"] as? [String: Any]
            #expect(summary.json["totalUsers"] as? Int == 5 && summary.json["activeUsers"] as? Int == 3)
            #expect(newUsers?["today"] as? Int == count(.day), "\(summary.text)")
            #expect(newUsers?["thisWeek"] as? Int == count(.weekOfYear), "\(summary.text)")
            #expect(newUsers?["thisMonth"] as? Int == count(.month), "\(summary.text)")
            #expect((summary.json["engagement"] as? [String: Any])?["lowEngagement"] as? Int == 5)

            let metrics = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/metrics").json
            #expect(metrics["createdThisMonth"] as? Int == count(.month))
            #expect(metrics["createdThisYear"] as? Int == count(.year))
            let months = metrics["createdPerMonth"] as? [[String: Any]] ?? []
            #expect(months.count == 12 && months.last?["created"] as? Int == count(.month), "\(months)")
            let years = metrics["createdPerYear"] as? [[String: Any]] ?? []
            #expect(years.map { $0["created"] as? Int ?? 0 }.reduce(0, +) == 5 && years.count == 2, "\(years)")
            #expect(metrics["incompleteRegistrations"] as? Int == 2, "email set and not verified: a and d")
            #expect((metrics["byType"] as? [String: Int]) == ["visitor": 0, "lead": 1, "user": 3, "agent": 1, "admin": 0, "bot": 0])
            #expect((metrics["byStatus"] as? [String: Int]) == ["active": 3, "inactive": 1, "blocked": 1])

            let counts = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/counts").json
            #expect((counts["byType"] as? [String: Int])?["user"] == 3 && (counts["total"] as? [String: Int])?["all"] == 5)
            let sex = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/stats/sex").json["bySex"] as? [String: Int]
            #expect(sex == ["male": 1, "female": 1, "other": 1, "unknown": 2])
            let ages = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/stats/age").json["byAge"] as? [String: Int]
            #expect(ages?["25-34"] == 1 && ages?["under18"] == 1 && ages?["65+"] == 1 && ages?["unknown"] == 2 && ages?["18-24"] == 0)
            let preferences = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/stats/preferences").json
            #expect((preferences["categories"] as? [String: Int]) == ["fashion": 2, "tech": 1])
            #expect((preferences["networks"] as? [String: Int]) == ["instagram": 1])
            #expect(preferences["withoutCategories"] as? Int == 3)

            // Staff only.
            #expect(try await platform.request(.GET, platform.url(.users) + "/api/v1/users-stats", authorized: false).isProblem(401))
        }
    }

    @Test func activityRaisesTheScoreAndReachesAudienceRules() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = platform.url(.users) + "/api/v1/users"
            let id = try #require(try await platform.request(.POST, users, json: ["email": "busy@example.com"]).json["id"] as? String)
            let engaged: [String: JSONValue] = [
                "name": "Engaged", "criteria": [["field": "engagement.engagementScore", "operator": "greater_than", "value": 30]],
            ]
            let segment = try #require(try await audience.call(.POST, "/segments", json: engaged).json["id"] as? String)

            // Bad counts change nothing.
            for body in [#"{}"#, #"{"visits":-1}"#, #"{"visits":null,"messagesSent":2}"#, #"{"visits":"many"}"#, #"{"visits":2000000}"#] {
                let refused = try await platform.request(
                    .POST, "\(users)/\(id)/activity", body: Data(body.utf8), headers: [("Content-Type", "application/json")])
                #expect(refused.status == 400 || refused.status == 422, "\(body): \(refused.text)")
            }
            #expect(try await platform.request(.POST, "\(users)/\(EntityID.generate())/activity", json: ["visits": 1]).isProblem(404))
            let other = try await audience.otherApplication()
            #expect(try await platform.request(.POST, "\(users)/\(id)/activity", json: ["visits": 1], headers: other.key).isProblem(404))
            #expect(try platform.database.count("SELECT activity_version FROM users.users WHERE id = '\(id)'") == 0)

            let first = try await platform.request(.POST, "\(users)/\(id)/activity", json: ["visits": 4, "messagesSent": 5])
            #expect(first.status == 200, "\(first.text)")
            let score = try #require(first.json["engagementScore"] as? Double)
            #expect(abs(score - 100 * (1 - exp(-30.0 / 100))) < 0.001, "points 2×5 + 5×4 = 30")
            let second = try await platform.request(.POST, "\(users)/\(id)/activity", json: ["messagesReceived": 10])
            #expect(second.json["activityVersion"] as? Int == 2 && second.json["messagesReceived"] as? Int == 10)
            let expected = 100 * (1 - exp(-40.0 / 100))

            // Audience's projection follows, and the rule on the score now holds the user.
            let reached = try await eventually(timeout: .seconds(20)) {
                try platform.database.count("SELECT count(*) FROM audience.segment_members WHERE segment_id = '\(segment)' AND user_id = '\(id)'") == 1
            }
            #expect(reached)
            let projected = try platform.database.sql(
                "SELECT round(engagement_score::numeric, 3) || ' ' || activity_version FROM audience.user_projection WHERE user_id = '\(id)'")
            #expect(projected == String(format: "%.3f 2", expected), "\(projected)")
            let stats = try await platform.request(.GET, platform.url(.users) + "/api/v1/users-stats").json
            #expect((stats["engagement"] as? [String: Any])?["moderatelyEngaged"] as? Int == 1)
        }
    }
}
