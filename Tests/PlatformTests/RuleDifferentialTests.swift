import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Issue 6's must-holds for rules: random rules over random data give the members a plain
/// in-memory evaluator gives; injection attempts fail and change nothing; incremental
/// membership equals a full recalculation after any sequence of changes.
@Suite(.serialized) struct RuleDifferentialTests {
    /// A user as the reference evaluator sees it.
    struct Person {
        var id = ""
        var status: String
        var country: String?
        var firstName: String?
        var email: String?
        var score: Double
        var verified: Bool
        /// Created this many days ago (always a half day off a whole day, so `"Nd"` never ties).
        var daysAgo: Double
        var plan: String?
        var points: Double?
        var langs: [String]?
        var tags: [String]
    }

    /// SplitMix64: the same rules and data on every run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(self.next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[self.int(0...(items.count - 1))] }
        mutating func chance(_ percent: Int) -> Bool { self.int(1...100) <= percent }
    }

    static let texts: [String: [String]] = [
        "status": ["active", "inactive", "blocked"],
        "country": ["FR", "DE", "es", "fr", "E"],
        "firstName": ["Ann", "an", "A", "Bob", "bo", "Zed"],
        "email": ["u1", "example", "u10@example.io", "@"],
        "attributes.plan": ["pro", "team", "free", "PRO", "te"],
    ]
    static let patterns = ["^A", "n$", "[0-9]", "o", "^(pro|free)$", "E"]

    static func people(_ random: inout Random, count: Int) -> [Person] {
        (0..<count).map { index in
            Person(
                status: random.pick(["active", "active", "inactive", "blocked"]),
                country: random.chance(80) ? random.pick(["FR", "DE", "es", "US"]) : nil,
                firstName: random.chance(85) ? random.pick(["Ann", "anna", "Bob", "bob", "Zed", "Al"]) : nil,
                email: random.chance(90) ? "u\(index)@example.io" : nil,
                score: Double(random.int(0...99)), verified: random.chance(50), daysAgo: Double(random.int(0...29)) + 0.5,
                plan: random.chance(70) ? random.pick(["pro", "team", "free"]) : nil,
                points: random.chance(70) ? Double(random.int(0...1000)) : nil,
                langs: random.chance(60) ? Array(Set((0..<random.int(1...3)).map { _ in random.pick(["en", "fr", "de"]) })).sorted() : nil,
                tags: random.chance(60) ? Array(Set((0..<random.int(1...2)).map { _ in random.pick(["VIP", "Beta"]) })).sorted() : [])
        }
    }

    // MARK: random rules and their reference meaning

    static func criterion(_ random: inout Random) -> [String: JSONValue] {
        let field = random.pick([
            "status", "country", "firstName", "email", "attributes.plan", "engagement.engagementScore", "attributes.points", "createdAt",
            "emailVerified", "attributes.langs", "tags",
        ])
        switch field {
        case "engagement.engagementScore", "attributes.points":
            let top = field == "attributes.points" ? 1000 : 99
            let op = random.pick(["equals", "not_equals", "greater_than", "less_than", "greater_or_equal", "less_or_equal", "between", "in",
                "not_in", "exists", "not_exists"])
            let a = random.int(0...top), b = random.int(0...top)
            let value: JSONValue? =
                switch op {
                case "between": [.integer(Int64(min(a, b))), .integer(Int64(max(a, b)))]
                case "in", "not_in": .array((0..<random.int(1...4)).map { _ in .integer(Int64(random.int(0...top))) })
                case "exists", "not_exists": nil
                default: .integer(Int64(a))
                }
            return ["field": .string(field), "operator": .string(op), "value": value ?? .null]
        case "createdAt":
            let op = random.pick(["greater_than", "less_than", "greater_or_equal", "less_or_equal", "between", "exists"])
            let a = random.int(1...30), b = random.int(1...30)
            let value: JSONValue =
                op == "between" ? [.string("\(max(a, b))d"), .string("\(min(a, b))d")] : op == "exists" ? .bool(random.chance(50)) : .string("\(a)d")
            return ["field": "createdAt", "operator": .string(op), "value": value]
        case "emailVerified":
            return ["field": "emailVerified", "operator": .string(random.pick(["equals", "not_equals"])), "value": .bool(random.chance(50))]
        case "attributes.langs", "tags":
            let names = field == "tags" ? ["VIP", "vip", "Beta", "Nope"] : ["en", "fr", "de"]
            let op = random.pick(["contains", "not_contains", "in", "not_in", "exists", "not_exists"])
            let value: JSONValue =
                switch op {
                case "in", "not_in": .array((0..<random.int(1...3)).map { _ in .string(random.pick(names)) })
                case "exists", "not_exists": .null
                default: .string(random.pick(names))
                }
            return ["field": .string(field), "operator": .string(op), "value": value]
        default:
            var op = random.pick(["equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with", "in", "not_in", "exists",
                "not_exists", "regex"])
            if op != "exists", op != "not_exists", random.chance(35) { op += "_ci" }
            let pool = Self.texts[field]!
            let value: JSONValue =
                switch op {
                case "in", "not_in", "in_ci", "not_in_ci": .array((0..<random.int(1...3)).map { _ in .string(random.pick(pool)) })
                case "exists", "not_exists": .null
                case "regex", "regex_ci": .string(random.pick(Self.patterns))
                default: .string(random.pick(pool))
                }
            // Status only takes its own values, and only where its operators compare whole values.
            if field == "status", !["equals", "not_equals", "in", "not_in", "exists", "not_exists"].contains(op) {
                return ["field": "status", "operator": "equals", "value": .string(random.pick(pool))]
            }
            return ["field": .string(field), "operator": .string(op), "value": value]
        }
    }

    static func rule(_ random: inout Random, depth: Int = 0) -> [String: JSONValue] {
        let count = random.int(1...(depth == 0 ? 4 : 3))
        let criteria: [JSONValue] = (0..<count).map { _ in
            depth < 2 && random.chance(20) ? .object(Self.rule(&random, depth: depth + 1)) : .object(Self.criterion(&random))
        }
        return ["logic": .string(random.chance(50) ? "AND" : "OR"), "criteria": .array(criteria)]
    }

    static func matches(_ rule: [String: JSONValue], _ person: Person) -> Bool {
        let results = (rule["criteria"]?.arrayValue ?? []).map { item -> Bool in
            guard case .object(let object) = item else { return false }
            return object["criteria"] != nil ? Self.matches(object, person) : Self.matches(criterion: object, person)
        }
        return rule["logic"] == "OR" ? results.contains(true) : results.allSatisfy { $0 }
    }

    static func matches(criterion: [String: JSONValue], _ p: Person) -> Bool {
        var op = criterion["operator"]!.stringValue!
        let folded = op.hasSuffix("_ci")
        if folded { op.removeLast(3) }
        for (negative, positive) in [("not_equals", "equals"), ("not_contains", "contains"), ("not_in", "in"), ("not_exists", "exists")]
        where op == negative {
            var flipped = criterion
            flipped["operator"] = .string(positive + (folded ? "_ci" : ""))
            return !Self.matches(criterion: flipped, p)
        }
        let value = criterion["value"]
        if op == "exists", case .bool(false) = value {
            var flipped = criterion
            flipped["operator"] = "not_exists"
            flipped["value"] = nil
            return Self.matches(criterion: flipped, p)
        }
        let field = criterion["field"]!.stringValue!
        func number(_ json: JSONValue?) -> Double { if case .integer(let n) = json { Double(n) } else { .nan } }
        func text(_ json: JSONValue?) -> String { json?.stringValue ?? "" }
        switch field {
        case "engagement.engagementScore", "attributes.points":
            guard let v = field == "attributes.points" ? p.points : p.score else { return false }
            switch op {
            case "exists": return true
            case "equals": return v == number(value)
            case "greater_than": return v > number(value)
            case "less_than": return v < number(value)
            case "greater_or_equal": return v >= number(value)
            case "less_or_equal": return v <= number(value)
            case "between": return v >= number(value?.arrayValue?[0]) && v <= number(value?.arrayValue?[1])
            case "in": return value!.arrayValue!.contains { number($0) == v }
            default: Issue.record("no reference for \(op)"); return false
            }
        case "createdAt":
            // `"Nd"` is N days ago: later than it means fewer days ago.
            func days(_ json: JSONValue?) -> Double { Double(text(json).dropLast())! }
            switch op {
            case "exists": return true
            case "greater_than", "greater_or_equal": return p.daysAgo < days(value)
            case "less_than", "less_or_equal": return p.daysAgo > days(value)
            case "between": return p.daysAgo <= days(value?.arrayValue?[0]) && p.daysAgo >= days(value?.arrayValue?[1])
            default: Issue.record("no reference for \(op)"); return false
            }
        case "emailVerified":
            return op == "equals" && p.verified == (value == .bool(true))
        case "attributes.langs", "tags":
            guard let held = field == "tags" ? (p.tags.isEmpty ? nil : p.tags.map { $0.lowercased() }) : p.langs else { return false }
            let wanted = (value?.arrayValue ?? (value.map { [$0] } ?? [])).map { field == "tags" ? text($0).lowercased() : text($0) }
            return op == "exists" ? true : wanted.contains { held.contains($0) }
        default:
            let raw: String? =
                switch field {
                case "status": p.status
                case "country": p.country
                case "firstName": p.firstName
                case "email": p.email
                default: p.plan
                }
            guard let raw else { return false }
            let v = folded ? raw.lowercased() : raw
            func x(_ json: JSONValue?) -> String { folded ? text(json).lowercased() : text(json) }
            switch op {
            case "exists": return true
            case "equals": return v == x(value)
            case "contains": return v.contains(x(value))
            case "starts_with": return v.hasPrefix(x(value))
            case "ends_with": return v.hasSuffix(x(value))
            case "in": return value!.arrayValue!.contains { x($0) == v }
            case "regex":
                let pattern = try! NSRegularExpression(pattern: text(value), options: folded ? [.caseInsensitive] : [])
                return pattern.firstMatch(in: raw, range: NSRange(raw.startIndex..., in: raw)) != nil
            default: Issue.record("no reference for \(op)"); return false
            }
        }
    }

    // MARK: loading the data

    static func load(_ people: inout [Person], into audience: AudienceFixtures) async throws {
        let app = try audience.applicationID()
        func literal(_ text: String?) -> String { text.map { "'\($0)'" } ?? "NULL" }
        let rows = people.enumerated().map { index, p in
            """
            ('\(app)', gen_random_uuid(), \(literal(p.email)), \(literal(p.firstName)), 'user', \(literal(p.status)), \(literal(p.country)),
             \(p.score), \(p.verified), 1, now() - make_interval(hours => \(Int(p.daysAgo * 24))), now(), \(index))
            """
        }
        let ids = try audience.platform.database.sql(
            """
            INSERT INTO audience.user_projection (application_id, user_id, email, first_name, type, status, country, engagement_score,
                email_verified, version, created_at, updated_at, phone)
            SELECT a::uuid, b, c, d, e, f, g, h, i, j, k, l, m::text FROM (VALUES \(rows.joined(separator: ",\n"))) AS v(a, b, c, d, e, f, g, h, i, j, k, l, m)
            RETURNING phone || ' ' || user_id
            """
        ).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        for row in ids { people[Int(row[0])!].id = row[1] }
        _ = try await audience.define(["name": "Plan", "slug": "plan", "type": "string", "searchable": true])
        _ = try await audience.define(["name": "Points", "slug": "points", "type": "number", "searchable": true])
        _ = try await audience.define(["name": "Languages", "slug": "langs", "type": "string_list", "searchable": true])
        let items: [JSONValue] = people.compactMap { p in
            var values: [String: JSONValue] = [:]
            if let plan = p.plan { values["plan"] = .string(plan) }
            if let points = p.points { values["points"] = .integer(Int64(points)) }
            if let langs = p.langs { values["langs"] = .array(langs.map { .string($0) }) }
            return values.isEmpty ? nil : .object(["userId": .string(p.id), "attributes": .object(values)])
        }
        let job = try await audience.call(.PATCH, "/user-attributes", json: ["items": JSONValue.array(items)])
        let finished = try await audience.finish("/api/v1/audience/jobs/\(try #require(job.json["id"] as? String))")
        #expect(finished["status"] as? String == "succeeded", "\(finished)")
        for name in ["VIP", "Beta"] {
            let tag = try #require(try await audience.call(.POST, "/tags", json: ["name": name]).json["id"] as? String)
            let holders = people.filter { $0.tags.contains(name) }.map { JSONValue.string($0.id) }
            if !holders.isEmpty { _ = try await audience.call(.POST, "/tags/\(tag)/assign", json: ["userIds": JSONValue.array(holders)]) }
        }
    }

    /// Every segment's members, from the table.
    static func members(_ audience: AudienceFixtures) throws -> [String: Set<String>] {
        var members: [String: Set<String>] = [:]
        let rows = try audience.platform.database.sql("SELECT segment_id || ' ' || user_id FROM audience.segment_members")
        for line in rows.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            members[parts[0], default: []].insert(parts[1])
        }
        return members
    }

    @Test func randomRulesMatchTheReferenceEvaluator() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            var random = Random(state: 20_261_123)
            var people = Self.people(&random, count: 150)
            try await Self.load(&people, into: audience)

            var rules: [(id: String, rule: [String: JSONValue])] = []
            for index in 0..<200 {
                var rule = Self.rule(&random)
                let expected = people.filter { Self.matches(rule, $0) }.count
                let preview = try await audience.call(.POST, "/segments/preview", json: rule)
                #expect(preview.json["userCount"] as? Int == expected, "rule \(index): \(rule) → \(preview.text.prefix(300))")
                rule["name"] = .string("random \(index)")
                let created = try await audience.call(.POST, "/segments", json: rule)
                rules.append((try #require(created.json["id"] as? String, "\(created.text)"), rule))
            }
            let calculated = try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
                try platform.database.count("SELECT count(*) FROM audience.segments WHERE last_calculated IS NULL") == 0
            }
            #expect(calculated)
            let members = try Self.members(audience)
            var mismatches = 0
            for (id, rule) in rules {
                let expected = Set(people.filter { Self.matches(rule, $0) }.map(\.id))
                if members[id, default: []] != expected {
                    mismatches += 1
                    Issue.record("segment \(id): \(rule) — missing \(expected.subtracting(members[id, default: []]).count), extra \(members[id, default: []].subtracting(expected).count)")
                }
            }
            #expect(mismatches == 0)
        }
    }

    @Test func incrementalMembershipEqualsAFullRecalculation() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = platform.url(.users) + "/api/v1/users"
            var random = Random(state: 7)
            var alive = try await EventDeliveryTests.createUsers(platform, count: 40, prefix: "inc")
            _ = try await audience.define(["name": "Plan", "slug": "plan", "type": "string", "searchable": true])
            let tag = try #require(try await audience.call(.POST, "/tags", json: ["name": "VIP"]).json["id"] as? String)
            let projected = try await eventually(timeout: .seconds(30)) {
                try platform.database.count("SELECT count(*) FROM audience.user_projection") == 40
            }
            #expect(projected)

            func create(_ path: String, _ body: [String: JSONValue]) async throws -> String {
                let created = try await audience.call(.POST, path, json: body)
                #expect(created.status == 201, "\(created.text)")
                return try #require(created.json["id"] as? String)
            }
            let french = try await create("/segments", [
                "name": "French payers",
                "criteria": [["field": "country", "operator": "equals", "value": "FR"], ["field": "attributes.plan", "operator": "in", "value": ["pro", "team"]]],
            ])
            let flagged = try await create("/segments", [
                "name": "VIPs or leads", "logic": "OR",
                "criteria": [["field": "tags", "operator": "contains", "value": "vip"], ["field": "type", "operator": "equals", "value": "lead"]],
            ])
            let combined = try await create("/segments", [
                "name": "French payers who are neither", "includeSegments": [.string(french)], "excludeSegments": [.string(flagged)],
            ])
            let group = try await create("/groups", [
                "name": "Europe without a plan", "type": "dynamic",
                "rules": ["criteria": [
                    ["field": "country", "operator": "in", "value": ["FR", "DE"]], ["field": "attributes.plan", "operator": "not_exists"],
                ]],
            ])

            // A random sequence of every kind of change, rule edits included.
            for step in 0..<150 {
                let user = random.pick(alive)
                switch random.int(0...9) {
                case 0, 1:
                    let country: JSONValue = random.chance(80) ? .string(random.pick(["FR", "DE", "ES"])) : .null
                    let changed = try await platform.request(.PATCH, "\(users)/\(user)", json: ["country": country])
                    #expect(changed.status == 200, "step \(step): \(changed.text)")
                case 2:
                    _ = try await platform.request(.PATCH, "\(users)/\(user)", json: ["type": .string(random.pick(["lead", "user"]))] as [String: JSONValue])
                case 3 where alive.count > 20:
                    #expect(try await platform.request(.DELETE, "\(users)/\(user)").status == 204)
                    alive.removeAll { $0 == user }
                case 4, 5:
                    _ = try await audience.call(.PUT, "/users/\(user)/attributes/plan", json: ["value": .string(random.pick(["pro", "team", "free"]))] as [String: JSONValue])
                case 6:
                    _ = try await audience.call(.DELETE, "/users/\(user)/attributes/plan")
                case 7:
                    _ = try await audience.call(.POST, "/tags/\(tag)/\(random.chance(50) ? "assign" : "unassign")", json: ["userIds": [JSONValue.string(user)]])
                case 8 where step % 5 == 0:
                    let values: [JSONValue] = random.chance(50) ? ["pro"] : ["pro", "team"]
                    let edited = try await audience.call(.PATCH, "/segments/\(french)", json: [
                        "criteria": [["field": "country", "operator": "equals", "value": "FR"], ["field": "attributes.plan", "operator": "in", "value": .array(values)]]
                    ] as [String: JSONValue])
                    #expect(edited.status == 200, "\(edited.text)")
                default:
                    _ = try await platform.request(.PATCH, "\(users)/\(user)", json: ["lastName": .string("L\(step)")] as [String: JSONValue])
                }
            }
            // Everything delivered and every queued recalculation done.
            let settled = try await eventually(timeout: .seconds(60), every: .milliseconds(200)) {
                try platform.database.count("SELECT count(*) FROM users.outbox_deliveries WHERE subscriber = 'audience'") == 0
                    && platform.database.count("SELECT count(*) FROM audience.jobs WHERE status NOT IN ('succeeded', 'failed')") == 0
            }
            #expect(settled)
            let before = try platform.database.sql(
                """
                SELECT string_agg(o || ':' || u, ',' ORDER BY o, u) FROM (
                    SELECT segment_id::text AS o, user_id::text AS u FROM audience.segment_members
                    UNION ALL SELECT group_id::text, user_id::text FROM audience.group_members) m
                """)
            #expect(!before.isEmpty)

            // A full recalculation of each finds nothing to change.
            for path in ["/segments/\(french)", "/segments/\(flagged)", "/segments/\(combined)", "/groups/\(group)"] {
                let job = try await audience.call(.POST, "\(path)/recalculate")
                let done = try await audience.finish("/api/v1/audience/jobs/\(try #require(job.json["id"] as? String))")
                let result = done["result"] as? [String: Any]
                #expect(result?["added"] as? Int == 0 && result?["removed"] as? Int == 0, "\(path): \(done)")
            }
            let after = try platform.database.sql(
                """
                SELECT string_agg(o || ':' || u, ',' ORDER BY o, u) FROM (
                    SELECT segment_id::text AS o, user_id::text AS u FROM audience.segment_members
                    UNION ALL SELECT group_id::text, user_id::text FROM audience.group_members) m
                """)
            #expect(before == after)
        }
    }

    @Test func injectionAttemptsFailAndChangeNothing() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try audience.seedUsers(20, prefix: "i")
            let attempts: [(JSONValue, String)] = [
                ([["field": "status; DROP TABLE audience.segments; --", "operator": "equals", "value": "active"]], "criteria[0].field"),
                ([["field": "status\" OR 1=1 --", "operator": "equals", "value": "active"]], "criteria[0].field"),
                ([["field": "attributes.x') OR ('1'='1", "operator": "equals", "value": "a"]], "criteria[0].field"),
                ([["field": "status", "operator": "equals OR 1=1", "value": "active"]], "criteria[0].operator"),
                ([["field": "status", "operator": "= 'active' OR TRUE --", "value": "active"]], "criteria[0].operator"),
                ([["field": "email", "operator": "regex", "value": "(?<!x"]], "criteria[0].value"),
                ([["field": "email", "operator": "regex", "value": "[a-"]], "criteria[0].value"),
                ([["field": "status", "operator": "equals", "value": "active' OR '1'='1"]], "criteria[0].value"),
                ([["field": "engagement.visits", "operator": "greater_than", "value": "0 OR 1=1"]], "criteria[0].value"),
            ]
            for (criteria, field) in attempts {
                for path in ["/segments", "/segments/preview"] {
                    let response = try await audience.call(.POST, path, json: ["name": "x", "criteria": criteria] as [String: JSONValue])
                    #expect(response.isProblem(422), "\(criteria): \(response.text)")
                    #expect((response.json["errors"] as? [[String: Any]])?.contains { $0["field"] as? String == field } == true, "\(response.text)")
                }
            }
            // Values that look like SQL are only values: they match nobody, and everything is still there.
            for value in ["x' OR '1'='1", "'; DELETE FROM audience.user_projection; --", "%", "_"] {
                let preview = try await audience.call(
                    .POST, "/segments/preview", json: ["criteria": [["field": "email", "operator": "equals", "value": .string(value)]]] as [String: JSONValue])
                #expect(preview.json["userCount"] as? Int == 0, "\(value): \(preview.text)")
                let contains = try await audience.call(
                    .POST, "/segments/preview", json: ["criteria": [["field": "email", "operator": "contains", "value": .string(value)]]] as [String: JSONValue])
                #expect(contains.json["userCount"] as? Int == 0, "\(value): \(contains.text)")
            }
            let quoteRegex = try await audience.call(
                .POST, "/segments/preview", json: ["criteria": [["field": "email", "operator": "regex", "value": "'; DROP TABLE x; --"]]] as [String: JSONValue])
            #expect(quoteRegex.json["userCount"] as? Int == 0)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_projection") == 20)
            #expect(try platform.database.count("SELECT count(*) FROM audience.segments") == 0)
        }
    }
}
