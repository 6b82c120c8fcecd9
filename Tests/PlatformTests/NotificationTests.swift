import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// The notification service (issue 8, seed 004, seed 000 group broadcast): the type catalog,
/// settings per type and channel, the in-app inbox, and broadcasts fanned out set-wise,
/// exactly once per recipient, also across a restart.
@Suite(.serialized) struct NotificationTests {
    /// Calls to the notification service with the admin key (or other headers).
    struct Notifications {
        let platform: TestPlatform
        var base: String { self.platform.url(.notification) + "/api/v1" }

        func call(_ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil, headers: [(String, String)] = []) async throws
            -> HTTPResult
        {
            try await self.platform.request(method, self.base + path, json: json, headers: headers)
        }

        /// Sends and waits until the broadcast has finished; its last state.
        func broadcast(_ body: [String: JSONValue], headers: [(String, String)] = []) async throws -> [String: Any] {
            let sent = try await self.call(.POST, "/broadcasts", json: body, headers: headers)
            #expect(sent.status == 202, "\(sent.text)")
            let id = try #require(sent.json["id"] as? String)
            #expect(sent.header("Location") == "/api/v1/broadcasts/\(id)")
            return try await self.finish(id)
        }

        func finish(_ id: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
            var last: [String: Any] = [:]
            _ = try await eventually(timeout: timeout, every: .milliseconds(100)) {
                last = try await self.call(.GET, "/broadcasts/\(id)").json
                return ["completed", "failed"].contains(last["status"] as? String ?? "")
            }
            return last
        }

        /// `count` users straight into notification's recipients (and audience's projection, when
        /// audience runs), as users' events would put them; their ids in id order.
        func seedRecipients(_ count: Int, inAudience: Bool = true) throws -> [String] {
            let app = try self.platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")
            _ = try self.platform.database.sql(
                """
                CREATE TEMP TABLE seeded AS SELECT gen_random_uuid() AS id, g FROM generate_series(1, \(count)) g;
                INSERT INTO notification.recipients (application_id, user_id, email, type, status, version)
                SELECT '\(app)', id, 'r' || g || '@example.io', 'user', 'active', 1 FROM seeded;
                """ + (inAudience ? """
                INSERT INTO audience.user_projection (application_id, user_id, email, type, status, version, created_at, updated_at)
                SELECT '\(app)', id, 'r' || g || '@example.io', 'user', 'active', 1, now(), now() FROM seeded;
                """ : ""))
            return try self.platform.database.sql("SELECT user_id FROM notification.recipients ORDER BY user_id")
                .split(separator: "\n").map(String.init)
        }
    }

    @Test func typesSettingsInboxAndSends() async throws {
        try await withPlatform([.users, .audience, .notification]) { platform in
            let notifications = Notifications(platform: platform)
            let accounts = Accounts(platform: platform)

            // The catalog starts with seed 004's seven types.
            let catalog = try await notifications.call(.GET, "/notification-types?limit=100")
            #expect(catalog.status == 200, "\(catalog.text)")
            #expect((catalog.json["data"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [
                "cause_campaign", "end_campaign", "near_campaign", "new_campaign", "post_status", "profile_status", "update_balance",
            ])
            let alert = try await notifications.call(
                .POST, "/notification-types",
                json: ["code": "security_alert", "name": "Security alert", "critical": true, "channels": ["in_app"]] as [String: JSONValue])
            #expect(alert.status == 201, "\(alert.text)")
            #expect(try await notifications.call(.POST, "/notification-types", json: ["code": "security_alert", "name": "Again"]).isProblem(409))
            #expect(try await notifications.call(.POST, "/notification-types", json: ["code": "Bad Code", "name": "x"]).isProblem(422))
            #expect(try await notifications.call(.POST, "/notification-types", json: ["code": "x", "name": "x", "channels": ["sms"]] as [String: JSONValue]).isProblem(422))
            #expect(try await notifications.call(.POST, "/notification-types", json: ["code": "x", "name": .string(String(repeating: "n", count: 201))] as [String: JSONValue]).isProblem(422))
            let temporary = try #require(try await notifications.call(.POST, "/notification-types", json: ["code": "temp", "name": "Temp"]).json["id"] as? String)
            #expect(try await notifications.call(.PATCH, "/notification-types/\(temporary)", json: ["description": "Short-lived"]).json["description"] as? String == "Short-lived")
            #expect(try await notifications.call(.DELETE, "/notification-types/\(temporary)").status == 204)
            #expect(try await notifications.call(.GET, "/notification-types/\(temporary)").isProblem(404))
            #expect(try await notifications.call(.GET, "/notification-types?critical=true").json["data"].map { ($0 as? [[String: Any]])?.count } == 1)

            // Two users, known to notification through users' events.
            let ann = try await accounts.register("ann@example.com")
            let bob = try await accounts.register("bob@example.com")
            let annSession = try await accounts.login("ann@example.com")
            #expect(try await eventually(timeout: .seconds(20)) { try platform.database.count("SELECT count(*) FROM notification.recipients") == 2 })
            func asAnn(_ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil) async throws -> HTTPResult {
                try await accounts.asUser(annSession, method, "/api/v1" + path, json: json, service: .notification)
            }

            // Settings: defaults, per type and per channel; critical types stay on.
            let defaults = try await asAnn(.GET, "/me/notification-settings")
            #expect(defaults.status == 200, "\(defaults.text)")
            #expect((defaults.json["settings"] as? [[String: Any]])?.count == 8)
            let changed = try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["new_campaign": false, "end_campaign": ["email": false]]] as [String: JSONValue])
            #expect(changed.status == 200, "\(changed.text)")
            let entries = Dictionary(uniqueKeysWithValues: (changed.json["settings"] as? [[String: Any]] ?? []).map { ($0["code"] as? String ?? "", $0) })
            #expect(entries["new_campaign"]?["enabled"] as? Bool == false)
            #expect(entries["end_campaign"]?["channels"] as? [String: Bool] == ["in_app": true, "email": false])
            #expect(entries["security_alert"]?["critical"] as? Bool == true)
            let before = try platform.database.sql("SELECT string_agg(channel || enabled, ',' ORDER BY channel, enabled) FROM notification.notification_settings")
            let refused = try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["security_alert": false, "post_status": true]] as [String: JSONValue])
            #expect(refused.isProblem(422) && refused.text.contains("critical_type"), "\(refused.text)")
            #expect(try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["nope": true]] as [String: JSONValue]).isProblem(422))
            #expect(try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["new_campaign": ["webhook": true]]] as [String: JSONValue]).isProblem(422))
            #expect(try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["new_campaign": "yes"]] as [String: JSONValue]).status == 400)
            #expect(try platform.database.sql("SELECT string_agg(channel || enabled, ',' ORDER BY channel, enabled) FROM notification.notification_settings") == before)
            let seen = try await notifications.call(.GET, "/users/\(ann)/notification-settings")
            #expect((seen.json["settings"] as? [[String: Any]])?.first { $0["code"] as? String == "new_campaign" }?["enabled"] as? Bool == false)
            #expect(try await notifications.call(.GET, "/users/\(UUID())/notification-settings").isProblem(404))
            #expect(try await notifications.call(.PATCH, "/users/\(bob)/notification-settings", json: ["settings": ["post_status": false]] as [String: JSONValue]).status == 200)

            // A send to a list: Ann turned the type off, Bob gets it, the stranger is unknown.
            let stranger = UUID().uuidString.lowercased()
            let listed = try await notifications.broadcast([
                "type": "new_campaign", "title": "Summer", "message": "A new campaign is available",
                "data": ["campaignId": 789], "userIds": [.string(ann), .string(bob), .string(stranger)],
            ])
            #expect(listed["status"] as? String == "completed")
            #expect(listed["recipients"] as? Int == 3 && listed["delivered"] as? Int == 1, "\(listed)")
            #expect(listed["skipped"] as? Int == 1 && listed["unknown"] as? Int == 1, "\(listed)")
            // Seed 004's send to one user, of a critical type: it reaches Ann whatever she chose.
            let critical = try await notifications.call(
                .POST, "/notifications", json: ["userId": .string(ann), "type": "security_alert", "title": "New sign-in", "message": "From Paris"] as [String: JSONValue])
            #expect(critical.status == 202, "\(critical.text)")
            #expect(try await notifications.finish(try #require(critical.json["id"] as? String))["delivered"] as? Int == 1)

            // Ann's inbox.
            let inbox = try await asAnn(.GET, "/me/notifications")
            let items = try #require(inbox.json["data"] as? [[String: Any]])
            #expect(items.count == 1 && items[0]["type"] as? String == "security_alert" && items[0]["read"] as? Bool == false)
            let first = try #require(items[0]["id"] as? String)
            #expect(try await asAnn(.GET, "/me/notifications/unread-count").json["unread"] as? Int == 1)
            #expect(try await asAnn(.POST, "/me/notifications/\(first)/read").json["read"] as? Bool == true)
            #expect(try await asAnn(.GET, "/me/notifications/unread-count").json["unread"] as? Int == 0)
            #expect(try await asAnn(.GET, "/me/notifications?unread=true").json["data"].map { ($0 as? [Any])?.count } == 0)
            #expect(try await asAnn(.POST, "/me/notifications/\(first)/unread").json["read"] as? Bool == false)
            #expect(try await asAnn(.POST, "/me/notifications/read-all").json["updated"] as? Int == 1)
            // Bob's notification is not Ann's to read, mark or delete.
            let bobs = try #require((try await notifications.call(.GET, "/notifications?userId=\(bob)").json["data"] as? [[String: Any]])?.first)
            #expect(bobs["title"] as? String == "Summer" && (bobs["data"] as? [String: Any])?["campaignId"] as? Int == 789)
            let bobsID = try #require(bobs["id"] as? String)
            #expect(try await asAnn(.GET, "/me/notifications/\(bobsID)").isProblem(404))
            #expect(try await asAnn(.POST, "/me/notifications/\(bobsID)/read").isProblem(404))
            #expect(try await asAnn(.DELETE, "/me/notifications/\(bobsID)").isProblem(404))
            #expect(try await asAnn(.GET, "/notifications").isProblem(403))
            #expect(try await asAnn(.POST, "/broadcasts", json: ["type": "new_campaign", "title": "t", "message": "m", "all": true] as [String: JSONValue]).isProblem(403))
            #expect(try await asAnn(.DELETE, "/me/notifications/\(first)").status == 204)
            #expect(try await asAnn(.GET, "/me/notifications/\(first)").isProblem(404))

            // Idempotency-Key: the retry answers the first broadcast and sends nothing more.
            let body: [String: JSONValue] = ["type": "post_status", "title": "Approved", "message": "Your post is live", "userId": .string(ann)]
            let once = try await notifications.call(.POST, "/broadcasts", json: body, headers: [("Idempotency-Key", "post-1")])
            _ = try await notifications.finish(try #require(once.json["id"] as? String))
            let again = try await notifications.call(.POST, "/broadcasts", json: body, headers: [("Idempotency-Key", "post-1")])
            #expect(again.status == 202 && again.json["id"] as? String == once.json["id"] as? String && again.header("Idempotent-Replayed") == "true")
            var other = body
            other["title"] = "Rejected"
            #expect(try await notifications.call(.POST, "/broadcasts", json: other, headers: [("Idempotency-Key", "post-1")]).isProblem(422))
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications WHERE type_code = 'post_status'") == 1)

            // Refusals store nothing.
            let sends = try platform.database.count("SELECT count(*) FROM notification.broadcasts")
            for bad: [String: JSONValue] in [
                ["type": "new_campaign", "title": "t", "message": "m"],
                ["type": "new_campaign", "title": "t", "message": "m", "all": true, "userId": .string(ann)],
                ["type": "nope", "title": "t", "message": "m", "all": true],
                ["type": "new_campaign", "title": "t", "message": "m", "all": true, "channels": ["webhook"]],
                ["type": "new_campaign", "title": .string(String(repeating: "t", count: 201)), "message": "m", "all": true],
                ["type": "new_campaign", "title": "t", "message": "m", "all": true, "data": "text"],
                ["type": "new_campaign", "title": "t", "message": "m", "userIds": ["not-an-id"]],
                ["type": "new_campaign", "title": "t", "message": "m", "groupId": .string(UUID().uuidString)],
                ["type": "new_campaign", "title": "t", "message": "m", "segmentId": .string(UUID().uuidString)],
            ] {
                let answer = try await notifications.call(.POST, "/broadcasts", json: bad)
                #expect(answer.isProblem(422), "\(bad): \(answer.text)")
            }
            #expect(try await notifications.call(.POST, "/broadcasts", json: ["title": "t"]).isProblem(400))
            #expect(try platform.database.count("SELECT count(*) FROM notification.broadcasts") == sends)

            // Another application sees none of it and cannot reach these users.
            let outsider = try await AudienceFixtures(platform: platform).otherApplication()
            let listedID = try #require(listed["id"] as? String)
            #expect(try await notifications.call(.GET, "/broadcasts/\(listedID)", headers: outsider.key).isProblem(404))
            #expect(try await notifications.call(.GET, "/notifications?userId=\(bob)", headers: outsider.key).json["data"].map { ($0 as? [Any])?.count } == 0)
            #expect(try await notifications.call(.GET, "/users/\(bob)/notification-settings", headers: outsider.key).isProblem(404))
            let foreign = try await notifications.call(
                .POST, "/broadcasts", json: ["type": "new_campaign", "title": "t", "message": "m", "userId": .string(bob)] as [String: JSONValue], headers: outsider.key)
            #expect(try await notifications.call(.GET, "/broadcasts/\(try #require(foreign.json["id"] as? String))", headers: outsider.key).json["status"] != nil)
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM notification.broadcasts WHERE status = 'completed' AND unknown = 1 AND recipients = 1") >= 2 }
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications WHERE user_id = '\(bob)'") == 1)

            // A deleted user's settings and notifications go with them.
            #expect(try await accounts.asAdmin(.DELETE, "/api/v1/users/\(bob)").status == 204)
            #expect(try await eventually(timeout: .seconds(20)) {
                try platform.database.count("SELECT count(*) FROM notification.recipients WHERE user_id = '\(bob)'") == 0
            })
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications WHERE user_id = '\(bob)'") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM notification.notification_settings WHERE user_id = '\(bob)'") == 0)

            // Bounded: a settings update names at most 500 types and 3 channels a type; a catalog
            // holds at most 500 types (settings read it whole).
            var many: [String: JSONValue] = [:]
            for index in 0...500 { many["type_\(index)"] = .bool(true) }
            #expect(try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": .object(many)] as [String: JSONValue]).isProblem(422))
            let channels: JSONValue = ["in_app": true, "email": true, "webhook": true, "sms": true]
            #expect(try await asAnn(.PATCH, "/me/notification-settings", json: ["settings": ["new_campaign": channels]] as [String: JSONValue]).isProblem(422))
            let app = try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")
            _ = try platform.database.sql(
                """
                INSERT INTO notification.notification_types (application_id, id, code, name, channels)
                SELECT '\(app)', gen_random_uuid(), 'filler_' || g, 'Filler', ARRAY['in_app']
                FROM generate_series(1, 500 - (SELECT count(*) FROM notification.notification_types WHERE application_id = '\(app)')) g
                """)
            let full = try await notifications.call(.POST, "/notification-types", json: ["code": "one_more", "name": "One more"])
            #expect(full.isProblem(422) && full.json["code"] as? String == "too_many_types", "\(full.text)")
        }
    }

    /// A group's members come from audience page by page (25,000 members: three pages); every
    /// member gets the notification once, and a second send is a second notification.
    @Test func aGroupBroadcastReachesEveryMemberOnce() async throws {
        try await withPlatform([.users, .audience, .notification]) { platform in
            let notifications = Notifications(platform: platform)
            let users = try notifications.seedRecipients(25_000)
            let audience = AudienceFixtures(platform: platform)
            let group = try #require(try await audience.call(.POST, "/groups", json: ["name": "Everyone but one"]).json["id"] as? String)
            _ = try platform.database.sql(
                """
                SET search_path TO audience;
                INSERT INTO audience.group_members (application_id, group_id, user_id)
                SELECT application_id, '\(group)', user_id FROM notification.recipients WHERE user_id <> '\(users[0])'
                """)
            let done = try await notifications.broadcast(["type": "update_balance", "title": "Balance", "message": "Updated", "groupId": .string(group)])
            #expect(done["status"] as? String == "completed" && done["recipients"] as? Int == 24_999 && done["delivered"] as? Int == 24_999, "\(done)")
            #expect(try platform.database.count("SELECT count(DISTINCT user_id) FROM notification.notifications") == 24_999)
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications WHERE user_id = '\(users[0])'") == 0)
            let everyone = try await notifications.broadcast(["type": "update_balance", "title": "Hello", "message": "All", "all": true])
            #expect(everyone["delivered"] as? Int == 25_000, "\(everyone)")
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications") == 49_999)
        }
    }

    /// The notification service killed in the middle of a fan-out: the job resumes after the
    /// last committed page, and every recipient has the notification exactly once.
    @Test func aBroadcastInterruptedByACrashCompletesExactlyOnce() async throws {
        try await withPlatform([.users, .notification]) { platform in
            let notifications = Notifications(platform: platform)
            let total = 150_000
            _ = try notifications.seedRecipients(total, inAudience: false)
            let sent = try await notifications.call(.POST, "/broadcasts", json: ["type": "new_campaign", "title": "Big", "message": "News", "all": true] as [String: JSONValue])
            let id = try #require(sent.json["id"] as? String)
            var atKill = 0
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                atKill = try platform.database.count("SELECT delivered FROM notification.broadcasts WHERE id = '\(id)'")
                return atKill > 0
            }
            platform.process(.notification).kill()
            _ = try await platform.process(.notification).waitForExit()
            #expect(atKill > 0 && atKill < total, "the crash came in the middle of the fan-out (\(atKill) of \(total) written)")
            try await platform.process(.notification).startAndWait(http: platform.http)
            // The lease of the killed worker runs out (60 s), then the job continues.
            let done = try await notifications.finish(id, timeout: .seconds(180))
            #expect(done["status"] as? String == "completed" && done["delivered"] as? Int == total, "\(done)")
            #expect(try platform.database.count("SELECT count(*) FROM notification.notifications") == total)
            #expect(try platform.database.count("SELECT count(DISTINCT user_id) FROM notification.notifications") == total)
        }
    }

    /// The process running a fan-out's last attempt dies: once the lease runs out, the job
    /// fails and so does the broadcast, with a reason, instead of staying `running`.
    @Test func aBroadcastWhoseLastAttemptDiesIsFailed() async throws {
        try await withPlatform([.users, .notification]) { platform in
            let notifications = Notifications(platform: platform)
            _ = try notifications.seedRecipients(150_000, inAudience: false)
            let sent = try await notifications.call(.POST, "/broadcasts", json: ["type": "new_campaign", "title": "Last", "message": "Try", "all": true] as [String: JSONValue])
            let id = try #require(sent.json["id"] as? String)
            let started = try await eventually(timeout: .seconds(60), every: .milliseconds(20)) {
                try platform.database.count("SELECT delivered FROM notification.broadcasts WHERE id = '\(id)'") > 0
            }
            #expect(started, "the fan-out never started")
            platform.process(.notification).kill()
            _ = try await platform.process(.notification).waitForExit()
            let running = "SELECT count(*) FROM notification.jobs WHERE kind = 'notification.broadcast' AND status = 'running'"
            #expect(try platform.database.count(running) == 1, "the kill came in the middle of the fan-out")
            // That was the last attempt, and its lease has run out.
            _ = try platform.database.sql(
                """
                UPDATE notification.jobs SET max_attempts = attempts, lease_expires_at = now() - interval '1 second'
                WHERE kind = 'notification.broadcast' AND status = 'running'
                """)
            try await platform.process(.notification).startAndWait(http: platform.http)
            let done = try await notifications.finish(id, timeout: .seconds(30))
            #expect(done["status"] as? String == "failed", "\(done)")
            #expect(done["error"] as? String == "The fan-out gave up after 1 attempt. The service stopped while running it.", "\(done)")
            #expect(try platform.database.count("SELECT count(*) FROM notification.jobs WHERE kind = 'notification.broadcast' AND status = 'failed'") == 1)
        }
    }
}
