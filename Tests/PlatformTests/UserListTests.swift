import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Listing and searching users (issue 4): every filter and sort against PostgreSQL's own
/// answer, the kept counts, the indexes the queries use, and the filters audience answers.
@Suite(.serialized) struct UserListTests {
    /// Percent-encodes a query value.
    static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)!
    }

    /// 40 users with varied names (accents, case), details, types, statuses and activity.
    static func seed(_ platform: TestPlatform) throws -> String {
        let app = try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")
        try platform.database.sql(
            """
            INSERT INTO users.users (id, application_id, email, phone, username, first_name, last_name, department, type, status,
                last_activity_at, created_at, updated_at)
            SELECT gen_random_uuid(), '\(app)',
                CASE WHEN g % 4 <> 0 THEN (ARRAY['Ann', 'bob', 'Zoë', 'émile'])[g % 4 + 1] || g || '@Example.io' END,
                CASE WHEN g % 3 = 0 THEN '+1555000' || lpad(g::text, 4, '0') END,
                CASE WHEN g % 5 = 0 THEN 'user_' || g END,
                (ARRAY['José', 'jose', 'Ångström', 'Mary', NULL, 'İlker', 'ilona'])[g % 7 + 1],
                (ARRAY['Müller', 'Muller', 'O''Brien', '100% Real', 'Smith', 'smith_x', 'ΟΔΟΣ', 'οδοσ'])[g % 8 + 1],
                (ARRAY['Sales', 'support', NULL])[g % 3 + 1],
                (ARRAY['user', 'lead', 'agent', 'admin', 'visitor'])[g % 5 + 1],
                (ARRAY['active', 'active', 'inactive', 'blocked'])[g % 4 + 1],
                CASE WHEN g % 2 = 0 THEN now() - make_interval(mins => g) END,
                now() - make_interval(hours => g), now() - make_interval(secs => g)
            FROM generate_series(1, 40) g
            """)
        return app
    }

    @Test func everySortAndFilterMatchesPostgres() async throws {
        try await withPlatform([.users]) { platform in
            let app = try Self.seed(platform)
            let users = platform.url(.users) + "/api/v1/users"
            let sorts: [(String, String)] = [
                ("createdAt", "created_at"), ("updatedAt", "updated_at"), ("lastActivityAt", "last_activity_at"),
                ("lastLoginAt", "last_login_at"), ("email", "lower(email)"), ("username", "lower(username)"),
                ("firstName", "lower(first_name)"), ("lastName", "lower(last_name)"), ("department", "lower(department)"),
                ("type", "type"),
            ]
            for (field, expression) in sorts {
                for descending in [false, true] {
                    let direction = descending ? "DESC" : "ASC"
                    let expected = try platform.database.sql(
                        "SELECT id FROM users.users WHERE application_id = '\(app)' ORDER BY \(expression) \(direction), id \(direction)"
                    ).split(separator: "\n").map(String.init)
                    // Offset paging and keyset paging (falling back to pages where a page ends without a value).
                    var byOffset: [String] = []
                    for page in 1...6 {
                        let response = try await platform.request(.GET, "\(users)?limit=7&page=\(page)&sort=\(descending ? "-" : "")\(field)")
                        #expect(response.status == 200, "\(response.text)")
                        byOffset += (response.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    }
                    #expect(byOffset == expected, "offset paging by \(field) \(direction)")
                    var byCursor: [String] = []
                    var next = "\(users)?limit=7&sort=\(descending ? "-" : "")\(field)"
                    var page = 1
                    while true {
                        let response = try await platform.request(.GET, next)
                        #expect(response.status == 200, "\(response.text)")
                        byCursor += (response.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                        let pagination = response.json["pagination"] as? [String: Any] ?? [:]
                        guard pagination["hasNext"] as? Bool == true else { break }
                        page += 1
                        if let cursor = pagination["nextCursor"] as? String {
                            next = "\(users)?limit=7&sort=\(descending ? "-" : "")\(field)&cursor=\(cursor)"
                        } else {
                            next = "\(users)?limit=7&page=\(page)&sort=\(descending ? "-" : "")\(field)"
                        }
                    }
                    #expect(byCursor == expected, "cursor paging by \(field) \(direction)")
                }
            }

            // Each filter (and q) against the same condition in SQL; totals too.
            let someIDs = try platform.database.sql("SELECT id FROM users.users ORDER BY id LIMIT 3").split(separator: "\n").joined(separator: ",")
            let pivot = try platform.database.sql("SELECT id FROM users.users ORDER BY created_at LIMIT 1 OFFSET 30")
            let cases: [(String, String)] = [
                ("status=inactive", "status = 'inactive'"),
                ("type=agent,admin", "type IN ('agent', 'admin')"),
                ("status=active&type=user", "status = 'active' AND type = 'user'"),
                ("filter=" + Self.encoded(#"{"type":["lead","visitor"],"status":"active"}"#), "type IN ('lead', 'visitor') AND status = 'active'"),
                ("ids=\(someIDs)", "id IN ('\(someIDs.replacingOccurrences(of: ",", with: "','"))')"),
                ("createdAfter=" + Self.encoded(try platform.database.sql(
                    "SELECT to_char((now() - interval '10 hours 30 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")),
                    "created_at > now() - interval '10 hours 30 minutes'"),
                ("createdBefore=" + Self.encoded(try platform.database.sql(
                    "SELECT to_char((now() - interval '35 hours 30 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")),
                    "created_at < now() - interval '35 hours 30 minutes'"),
                ("afterId=\(pivot)", "created_at > (SELECT created_at FROM users.users WHERE id = '\(pivot)')"),
                ("hasDetails=email,phone", "email IS NOT NULL AND phone IS NOT NULL"),
                ("q=muller", "last_name IN ('Müller', 'Muller')"),
                ("q=" + Self.encoded("JOSÉ MÜL"), "lower(first_name) = 'josé' OR first_name = 'jose'"),
                ("q=" + Self.encoded("José müll"), "first_name IN ('José', 'jose') AND last_name IN ('Müller', 'Muller')"),
                ("q=angstrom", "first_name = 'Ångström'"),
                ("q=" + Self.encoded("100%"), "last_name = '100% Real'"),
                ("q=" + Self.encoded("h_x"), "last_name = 'smith_x'"),
                ("q=zoe", "email ILIKE 'zoë%'"),
                ("q=%2B15550000", "phone LIKE '+15550000%'"),
                ("search=user_1", "username LIKE 'user\\_1%'"),
            ]
            for (parameters, condition) in cases {
                var expected = try platform.database.sql(
                    "SELECT id FROM users.users WHERE application_id = '\(app)' AND (\(condition)) ORDER BY created_at DESC, id DESC"
                ).split(separator: "\n").map(String.init)
                if parameters.hasPrefix("q=" + Self.encoded("JOSÉ MÜL")) {
                    expected = try platform.database.sql(
                        """
                        SELECT id FROM users.users WHERE application_id = '\(app)' AND first_name IN ('José', 'jose')
                            AND last_name IN ('Müller', 'Muller') ORDER BY created_at DESC, id DESC
                        """
                    ).split(separator: "\n").map(String.init)
                }
                let response = try await platform.request(.GET, "\(users)?limit=100&\(parameters)")
                #expect(response.status == 200, "\(parameters): \(response.text)")
                let found = (response.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(!expected.isEmpty, "\(parameters) should match someone")
                #expect(found == expected, "\(parameters)")
                #expect(response.header("X-Total-Count") == "\(expected.count)", "\(parameters)")
            }

            // Refusals name what is wrong.
            for (parameters, field) in [
                ("bogus=1", "bogus"), ("filter=" + Self.encoded(#"{"bogus":1}"#), "filter.bogus"), ("sort=password", "sort"),
                ("type=robot", "type"), ("hasDetails=address", "hasDetails"), ("afterId=\(UUID().uuidString.lowercased())", "afterId"),
                ("createdAfter=yesterday", "createdAfter"), ("ids=1,2", "ids"), ("include=friends", "include"),
                ("groups=\(UUID().uuidString.lowercased())&q=ann", "q"),
            ] {
                let response = try await platform.request(.GET, "\(users)?\(parameters)")
                #expect(response.isProblem(400), "\(parameters): \(response.text)")
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["field"] as? String == field }, "\(parameters): \(response.text)")
            }
        }
    }

    @Test func countsFollowEveryWriteAndQueriesUseIndexes() async throws {
        try await withPlatform([.users]) { platform in
            let app = try Self.seed(platform)
            let users = platform.url(.users) + "/api/v1/users"
            // Writes of every kind, through the API and straight in SQL (several rows per statement).
            let created = try await platform.request(.POST, users, json: ["email": "new@example.io", "type": "agent"])
            let id = try #require(created.json["id"] as? String)
            #expect(try await platform.request(.PATCH, "\(users)/\(id)", json: ["status": "inactive"]).status == 200)
            #expect(try await platform.request(.POST, "\(users)/\(id)/ban", json: ["reason": "spam"]).status < 300)
            try platform.database.sql("UPDATE users.users SET type = 'lead' WHERE type = 'visitor' AND status = 'active'")
            try platform.database.sql("UPDATE users.users SET last_activity_at = now()")
            try platform.database.sql("DELETE FROM users.users WHERE type = 'admin' AND status = 'blocked'")
            #expect(try await platform.request(.DELETE, "\(users)/\(id)").status == 204)
            try platform.database.sql("UPDATE users.users SET preferences = '{\"categories\": [\"tech\"]}' WHERE type = 'lead'")
            try platform.database.sql("UPDATE users.users SET created_at = created_at - interval '400 days', engagement_score = 75 WHERE type = 'user'")
            try platform.database.sql("UPDATE users.users SET email_verified = true, birth_date = '1990-05-01', sex = 'female' WHERE status = 'inactive'")
            // An update touching no counted field writes no count, however the scores add up.
            try platform.database.sql("UPDATE users.users SET engagement_score = (ARRAY[0.1, 0.2, 0.3])[1 + abs(hashtext(id::text)) % 3] WHERE type <> 'user'")
            let facts = "SELECT count(*) || '/' || sum(users) || '/' || sum(score) || '/' || max(xmin::text::bigint) FROM users.user_facts"
            let before = try platform.database.sql(facts)
            try platform.database.sql("UPDATE users.users SET department = 'Z'")
            #expect(try platform.database.sql(facts) == before)
            // Every kept count equals counting the rows.
            let kept = try platform.database.sql(
                """
                SELECT dimension, value, sum(users), round(sum(score)::numeric, 3) FROM users.user_facts
                GROUP BY 1, 2 HAVING sum(users) <> 0 ORDER BY 1, 2
                """)
            let actual = try platform.database.sql(
                """
                SELECT f.dimension, f.value, count(*), round(sum(f.score)::numeric, 3) FROM users.users u,
                    LATERAL users.user_facts_of(u.type, u.status, u.created_at, u.email, u.email_verified, u.sex, u.birth_date,
                        u.engagement_score, u.preferences) f
                GROUP BY 1, 2 ORDER BY 1, 2
                """)
            #expect(kept == actual)
            #expect(kept.contains("type_status|lead/active|") && kept.contains("category|tech|") && kept.contains("engagement|high|"))
            let listed = try await platform.request(.GET, "\(users)?status=active&type=lead,user")
            let total = try platform.database.count(
                "SELECT count(*) FROM users.users WHERE application_id = '\(app)' AND status = 'active' AND type IN ('lead', 'user')")
            #expect(listed.header("X-Total-Count") == "\(total)")

            // The list's queries can use an index that filters and orders them: with sequential scans,
            // sorts and bitmap scans priced out, the plan walks the index named (on a few dozen rows
            // the planner would otherwise pick whatever is cheapest today).
            let ordered: [(String, Set<String>)] = [
                ("status = 'active' AND type = ANY('{user}') ORDER BY created_at DESC, id DESC", ["users_status"]),
                ("TRUE ORDER BY lower(email) ASC, id ASC", ["users_email_sort"]),
                ("TRUE ORDER BY lower(first_name) DESC, id DESC", ["users_first_name"]),
                ("TRUE ORDER BY last_activity_at ASC, id ASC", ["users_last_activity"]),
                ("created_at > now() - interval '1 day' ORDER BY created_at DESC, id DESC", ["users_created"]),
            ]
            for (query, indexes) in ordered {
                let plan = try platform.database.sql(
                    """
                    SET search_path = users; SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off;
                    EXPLAIN SELECT id FROM users WHERE application_id = '\(app)' AND \(query) LIMIT 21
                    """)
                // "Index Scan", "Index Only Scan", either direction.
                #expect(indexes.contains { plan.contains(" using \($0) on users") } && !plan.contains("Sort"), "\(query):\n\(plan)")
            }
            // The search's expression is the trigram index's (asked about alone: with the
            // application's condition, few rows are cheaper walked another way).
            let search = try platform.database.sql(
                """
                SET search_path = users; SET enable_seqscan = off;
                EXPLAIN SELECT id FROM users WHERE search_document LIKE '%' || fold_text('müll') || '%'
                """)
            #expect(search.contains("Bitmap Index Scan on users_search"), "\(search)")
        }
    }

    @Test func audienceFiltersIncludesAgentsAndDetails() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            var ids: [String] = []
            for (index, type) in ["user", "agent", "admin", "user", "lead"].enumerated() {
                let body: [String: String] = ["email": "p\(index)@example.io", "type": type, "phone": "+1555111000\(index)"]
                let created = try await platform.request(.POST, users, json: index == 4 ? ["type": type] : body)
                ids.append(try #require(created.json["id"] as? String, "\(created.text)"))
            }
            let audience = AudienceFixtures(platform: platform)
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection") == 5 }
            let tag = try await audience.call(.POST, "/tags", json: ["name": "vip"]).json["id"] as? String ?? ""
            #expect(try await audience.call(.POST, "/tags/\(tag)/assign", json: ["userIds": [ids[0], ids[1], ids[3]]]).status < 300)
            let group = try await audience.call(.POST, "/groups", json: ["name": "Team"]).json["id"] as? String ?? ""
            #expect(try await audience.call(.POST, "/groups/\(group)/add-users", json: ["userIds": [ids[1], ids[3]]]).status < 300)

            // Audience answers the ids, users reads the page; paging by cursor through it.
            let tagged = try await platform.request(.GET, "\(users)?tags=\(tag)&limit=2&sort=createdAt")
            #expect(tagged.status == 200, "\(tagged.text)")
            #expect(tagged.header("X-Total-Count") == "3")
            var seen = (tagged.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            let cursor = try #require((tagged.json["pagination"] as? [String: Any])?["nextCursor"] as? String)
            let rest = try await platform.request(.GET, "\(users)?tags=\(tag)&limit=2&sort=createdAt&cursor=\(cursor)")
            seen += (rest.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(seen == [ids[0], ids[1], ids[3]])
            let both = try await platform.request(.GET, "\(users)?tags=\(tag)&groups=\(group)&type=user")
            #expect((both.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [ids[3]], "\(both.text)")
            let ranged = try await platform.request(.GET, "\(users)?groups=\(group)&range=%5B0%2C0%5D&sort=createdAt")
            #expect(ranged.jsonArray.compactMap { $0["id"] as? String } == [ids[1]] && ranged.header("Content-Range") == "items 0-0/2")

            // ?include= embeds audience data, one lookup per page; on a single user too.
            let included = try await platform.request(.GET, "\(users)?ids=\(ids[1]),\(ids[4])&include=groups,tags&sort=createdAt")
            let rows = included.json["data"] as? [[String: Any]] ?? []
            #expect(((rows.first?["groups"] as? [[String: Any]])?.first?["name"] as? String) == "Team", "\(included.text)")
            #expect(((rows.first?["tags"] as? [[String: Any]])?.first?["name"] as? String) == "vip")
            #expect((rows.last?["tags"] as? [Any])?.isEmpty == true && rows.last?["attributes"] == nil)
            let single = try await platform.request(.GET, "\(users)/\(ids[3])?include=tags")
            #expect((single.json["tags"] as? [[String: Any]])?.count == 1 && single.json["groups"] == nil)

            // Agents (seed 003).
            let agents = try await platform.request(.GET, platform.url(.users) + "/api/v1/agents?sort=createdAt")
            #expect((agents.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [ids[1], ids[2]])
            #expect(try await platform.request(.GET, platform.url(.users) + "/api/v1/agents?admins=false").header("X-Total-Count") == "1")
            let agentIDs = try await platform.request(.GET, platform.url(.users) + "/api/v1/agents/ids?admins=false")
            #expect(agentIDs.text == "[\"\(ids[1])\"]", "\(agentIDs.text)")
            #expect(try await platform.request(.GET, platform.url(.users) + "/api/v1/agents/\(ids[2])?include=attributes").json["attributes"] != nil)
            #expect(try await platform.request(.GET, platform.url(.users) + "/api/v1/agents/\(ids[0])").isProblem(404))
            #expect(try await platform.request(.GET, platform.url(.users) + "/api/v1/agents?admins=maybe").isProblem(400))

            // Users with details, compactly (seed 003).
            let details = try await platform.request(.GET, "\(users)/details?details=email,phone&sort=createdAt")
            #expect(details.status == 200, "\(details.text)")
            #expect((details.json["email"] as? [[String: Any]])?.count == 4 && (details.json["phone"] as? [[String: Any]])?.count == 4)
            #expect((details.json["email"] as? [[String: Any]])?.first?["value"] as? String == "p0@example.io")
            #expect(details.json["username"] == nil && details.header("X-Total-Count") == "4")
            #expect(try await platform.request(.GET, "\(users)/details?details=address").isProblem(400))
            #expect(try await platform.request(.GET, "\(users)/details").isProblem(400))

            // Another application's ids find nothing.
            let other = try await audience.otherApplication()
            let foreign = try await platform.request(.GET, "\(users)?tags=\(tag)", headers: other.key, authorized: false)
            #expect(foreign.status == 200 && foreign.header("X-Total-Count") == "0", "\(foreign.text)")

            // Audience down: its filters answer 503, the rest of the list still works.
            try await platform.process(.audience).stop()
            #expect(try await platform.request(.GET, "\(users)?tags=\(tag)").isProblem(503))
            #expect(try await platform.request(.GET, "\(users)?type=agent").status == 200)
        }
    }

    @Test func exportStreamsEveryFormatAcrossBatches() async throws {
        try await withPlatform([.users]) { platform in
            let app = try Self.seed(platform)
            // More than two batches of 5,000.
            try platform.database.sql(
                """
                INSERT INTO users.users (id, application_id, email, type, created_at, updated_at)
                SELECT gen_random_uuid(), '\(app)', 'bulk' || g || '@example.io', 'lead', now() - make_interval(days => 10, secs => g), now()
                FROM generate_series(1, 11000) g
                """)
            // Values CSV must quote, guard as a formula, or both.
            try platform.database.sql(
                """
                INSERT INTO users.users (id, application_id, email, first_name, last_name, type, created_at, updated_at) VALUES
                    (gen_random_uuid(), '\(app)', 'quoted@example.io', '=1+2', 'Smith, "Jr"', 'user', now(), now()),
                    (gen_random_uuid(), '\(app)', 'guarded@example.io', '-3,4', 'Plain', 'user', now(), now())
                """)
            let users = platform.url(.users) + "/api/v1/users/export"
            let total = try platform.database.count("SELECT count(*) FROM users.users WHERE application_id = '\(app)'")
            let expected = try platform.database.sql(
                "SELECT id FROM users.users WHERE application_id = '\(app)' ORDER BY created_at, id").split(separator: "\n").map(String.init)

            let csv = try await platform.request(.GET, users)
            #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            #expect(csv.header("Content-Disposition")?.contains("users.csv") == true)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "id,email,phone,username,firstName,lastName,type,status,createdAt")
            #expect(lines.dropFirst().map { String($0.prefix(36)) } == expected, "every user once, in creation order")
            // A phone starts with +: a spreadsheet would run it as a formula, so it gets a leading '.
            #expect(lines.contains { $0.contains(",'+15550000") } && !lines.contains { $0.contains(",+1555") })
            #expect(lines.contains { $0.contains(",quoted@example.io,,,'=1+2,\"Smith, \"\"Jr\"\"\",user,active,") })
            #expect(lines.contains { $0.contains(",guarded@example.io,,,\"'-3,4\",Plain,user,active,") })
            let plain = try await platform.request(.GET, "\(users)?fields=email,emailVerified,birthDate,lastLoginAt&q=quoted")
            #expect(plain.text == "email,emailVerified,birthDate,lastLoginAt\r\nquoted@example.io,false,,\r\n", "\(plain.text)")

            let json = try await platform.request(.GET, "\(users)?format=json&fields=id,email,emailVerified,lastActivityAt")
            let array = try #require(try JSONSerialization.jsonObject(with: json.body) as? [[String: Any]])
            #expect(array.count == total && array.compactMap { $0["id"] as? String } == expected)
            #expect(array.allSatisfy { $0["emailVerified"] as? Bool == false && $0.keys.count == 4 })
            #expect(array.contains { $0["email"] is NSNull } && array.contains { $0["lastActivityAt"] is String })

            let ndjson = try await platform.request(.GET, "\(users)?format=ndjson&type=user,agent&q=jose&fields=firstName,type")
            let rows = ndjson.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let matching = try platform.database.count(
                "SELECT count(*) FROM users.users WHERE type IN ('user', 'agent') AND first_name IN ('José', 'jose')")
            #expect(rows.count == matching && matching > 0 && rows.allSatisfy { ($0?["type"] as? String).map { ["user", "agent"].contains($0) } == true })

            for parameters in ["format=xml", "fields=password", "fields=", "fields=id,id", "groups=\(UUID().uuidString.lowercased())"] {
                #expect(try await platform.request(.GET, "\(users)?\(parameters)").isProblem(400), "\(parameters)")
            }
        }
    }
}
