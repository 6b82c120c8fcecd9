import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Attribute definitions and user attribute values (seed 002) against the real audience service.
@Suite(.serialized) struct AttributeTests {
    @Test func definitionsValidateLockAndGuardUpdates() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let plan = try await audience.define([
                "name": "Plan", "slug": "plan", "type": "enum", "description": "Subscription",
                "validations": [["type": "allowedValues", "value": ["free", "pro", "team"]]], "defaultValue": "free", "pinned": true,
                "pinOrder": 1, "isLocked": true,
            ])
            let planID = try #require(plan["id"] as? String)
            #expect(plan["searchIndex"] as? String == "none" && plan["version"] as? Int == 1)

            // Every broken rule is named, and nothing is stored.
            let bad = try await audience.call(
                .POST, "/attribute-definitions",
                json: ["name": "", "slug": "Bad Slug", "type": "colour", "validations": [["type": "regex", "value": "("]]] as [String: JSONValue])
            #expect(bad.isProblem(422))
            let fields = Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields.isSuperset(of: ["name", "slug", "type"]), "\(fields)")
            let enumWithout = try await audience.call(.POST, "/attribute-definitions", json: ["name": "E", "slug": "e", "type": "enum"])
            #expect(enumWithout.isProblem(422))
            let badRegex = try await audience.call(
                .POST, "/attribute-definitions",
                json: ["name": "R", "slug": "r", "type": "string", "validations": [["type": "regex", "value": "(unclosed"]]] as [String: JSONValue])
            #expect(badRegex.isProblem(422) && (badRegex.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "invalid_regex")
            let badDefault = try await audience.call(
                .POST, "/attribute-definitions",
                json: ["name": "N", "slug": "n", "type": "number", "validations": [["type": "max", "value": 5]], "defaultValue": 9] as [String: JSONValue])
            #expect(badDefault.isProblem(422) && (badDefault.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "defaultValue")
            let encryptedSearch = try await audience.call(
                .POST, "/attribute-definitions", json: ["name": "S", "slug": "s", "type": "string", "encrypted": true, "searchable": true] as [String: JSONValue])
            #expect(encryptedSearch.isProblem(422))
            let duplicate = try await audience.call(.POST, "/attribute-definitions", json: ["name": "Plan 2", "slug": "plan", "type": "string"])
            #expect(duplicate.isProblem(409) && duplicate.json["code"] as? String == "duplicate_slug")
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_definitions") == 1)

            // ETag / If-Match; slug immutable; type frozen while locked; locked cannot be deleted.
            let read = try await audience.call(.GET, "/attribute-definitions/plan")
            #expect(read.header("ETag") == "\"1\"")
            let stale = try await audience.call(.PATCH, "/attribute-definitions/\(planID)", json: ["name": "Tier"], headers: [("If-Match", "\"7\"")])
            #expect(stale.isProblem(412))
            let renamed = try await audience.call(.PATCH, "/attribute-definitions/\(planID)", json: ["name": "Tier"], headers: [("If-Match", "\"1\"")])
            #expect(renamed.status == 200 && renamed.json["name"] as? String == "Tier" && renamed.header("ETag") == "\"2\"")
            let slug = try await audience.call(.PATCH, "/attribute-definitions/\(planID)", json: ["slug": "tier"])
            #expect(slug.isProblem(422) && (slug.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "immutable")
            let retype = try await audience.call(.PUT, "/attribute-definitions/\(planID)", json: ["type": "string"])
            #expect(retype.isProblem(422) && (retype.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "locked")
            let deleteLocked = try await audience.call(.DELETE, "/attribute-definitions/\(planID)")
            #expect(deleteLocked.isProblem(409) && deleteLocked.json["code"] as? String == "locked")

            // Lists filter and page; another application sees nothing.
            _ = try await audience.define(["name": "Score", "slug": "score", "type": "number", "customerEditable": true])
            let editable = try await audience.call(.GET, "/attribute-definitions?customerEditable=true")
            #expect((editable.json["data"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["score"])
            let byType = try await audience.call(.GET, "/attribute-definitions?filter=%7B%22type%22%3A%22enum%22%7D")
            #expect((byType.json["pagination"] as? [String: Any])?["total"] as? Int == 1)
            #expect(try await audience.call(.GET, "/attribute-definitions?type=colour").isProblem(400))
            let other = try await audience.otherApplication()
            let foreign = try await platform.request(.GET, audience.base + "/attribute-definitions/\(planID)", headers: other.key, authorized: false)
            #expect(foreign.isProblem(404))
            let foreignList = try await platform.request(.GET, audience.base + "/attribute-definitions", headers: other.key, authorized: false)
            #expect((foreignList.json["data"] as? [Any])?.isEmpty == true)
            let foreignDelete = try await platform.request(
                .DELETE, audience.base + "/attribute-definitions/score", headers: other.key, authorized: false)
            #expect(foreignDelete.isProblem(404))

            // Unlocked, it can be deleted, and its values go with it.
            let user = try audience.seedUsers(1)[0]
            #expect(try await audience.call(.PUT, "/users/\(user)/attributes/plan", json: ["value": "pro"]).status == 200)
            #expect(try await audience.call(.PUT, "/users/\(user)/attributes/score", json: ["value": 3]).status == 200)
            #expect(try await audience.call(.PATCH, "/attribute-definitions/plan", json: ["isLocked": false]).json["isLocked"] as? Bool == false)
            #expect(try await audience.call(.DELETE, "/attribute-definitions/plan").status == 204)
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values") == 1)
            // With values, the type no longer changes; a new type needs its rules again.
            #expect(try await audience.call(.PATCH, "/attribute-definitions/score", json: ["type": "string"]).isProblem(409))
            #expect(try await audience.call(.DELETE, "/attribute-definitions/score").status == 204)
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values") == 0)
            let ranged = try await audience.define(["name": "R", "slug": "ranged", "type": "number", "validations": [["type": "max", "value": 3]]])
            let retyped = try await audience.call(.PATCH, "/attribute-definitions/\(ranged["id"] as? String ?? "")", json: ["type": "date"])
            #expect(retyped.isProblem(422) && (retyped.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "validations")
        }
    }

    @Test func valuesAreCoercedValidatedAndDefaulted() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await audience.define(["name": "Age", "slug": "age", "type": "number", "validations": [["type": "min", "value": 0], ["type": "max", "value": 150]]])
            _ = try await audience.define(["name": "VIP", "slug": "vip", "type": "boolean", "defaultValue": false])
            _ = try await audience.define(["name": "Born", "slug": "born", "type": "date"])
            _ = try await audience.define([
                "name": "Code", "slug": "code", "type": "string",
                "validations": [["type": "regex", "value": "^[A-Z]{3}$"], ["type": "required", "value": true]],
            ])
            _ = try await audience.define(["name": "Labels", "slug": "labels", "type": "string_list"])
            let user = try audience.seedUsers(1)[0]
            let path = "/users/\(user)/attributes"

            let age = try await audience.call(.PUT, "\(path)/age", json: ["value": "42"])
            #expect(age.status == 200 && age.json["value"] as? Int == 42 && age.json["isDefault"] as? Bool == false)
            let tooOld = try await audience.call(.PUT, "\(path)/age", json: ["value": 200])
            #expect(tooOld.isProblem(422))
            let error = (tooOld.json["errors"] as? [[String: Any]])?.first
            #expect(error?["field"] as? String == "attributes.age" && error?["code"] as? String == "max")
            #expect((error?["message"] as? String ?? "").contains("age"))
            #expect(try await audience.call(.PUT, "\(path)/age", json: ["value": "forty"]).isProblem(422))
            #expect(try await audience.call(.PUT, "\(path)/age", json: ["value": ["a"]]).isProblem(422))
            #expect(try await audience.call(.PUT, "\(path)/age", json: ["nothing": 1]).isProblem(422))
            #expect(try await audience.call(.PUT, "\(path)/born", json: ["value": "2025-02-30"]).isProblem(422))
            #expect(try await audience.call(.PUT, "\(path)/born", json: ["value": "1990-05-17"]).json["value"] as? String == "1990-05-17")
            let code = try await audience.call(.PUT, "\(path)/code", json: ["value": "abc"])
            #expect(code.isProblem(422) && (code.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "regex")
            #expect(try await audience.call(.PUT, "\(path)/code", json: ["value": "ABC"]).status == 200)
            #expect(try await audience.call(.DELETE, "\(path)/code").isProblem(422))
            #expect(try await audience.call(.PUT, "\(path)/labels", json: ["value": ["a", "b"]]).json["value"] as? [String] == ["a", "b"])
            // The stored number is the typed column the index uses, never the text that came in.
            #expect(try platform.database.sql("SELECT value_number FROM audience.attribute_values v JOIN audience.attribute_definitions d ON d.id = v.definition_id WHERE d.slug = 'age'") == "42")

            let vip = try await audience.call(.GET, "\(path)/vip")
            #expect(vip.json["value"] as? Bool == false && vip.json["isDefault"] as? Bool == true)
            let list = try await audience.call(.GET, path)
            #expect((list.json["data"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["age", "born", "code", "labels", "vip"])
            #expect(try await audience.call(.GET, "/users/\(UUID())/attributes").isProblem(404))
            #expect(try await audience.call(.PUT, "/users/\(UUID())/attributes/age", json: ["value": 1]).isProblem(404))
            #expect(try await audience.call(.GET, "\(path)/nope").isProblem(404))
            #expect(try await audience.call(.DELETE, "\(path)/age").status == 204)
            #expect(try await audience.call(.DELETE, "\(path)/age").isProblem(404))
        }
    }

    @Test func encryptedValuesAreSealedMaskedAndOpenedForAdmins() async throws {
        // Trace logging, so the log check below sees everything the services could print.
        try await withPlatform([.users, .audience], environment: ["ROSTER_LOG_LEVEL": "trace"]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let accounts = Accounts(platform: platform)
            _ = try await audience.define(["name": "Tax id", "slug": "tax_id", "type": "string", "encrypted": true, "customerEditable": true])
            _ = try await audience.define(["name": "Tier", "slug": "tier", "type": "string"])
            let secret = "SSN-123-45-6789-\(UUID().uuidString.prefix(8))"
            let userID = try await accounts.register("crypto@example.io")
            _ = try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection WHERE user_id = '\(userID)'") == 1 }
            let session = try await accounts.login("crypto@example.io")

            // The user sets it on themselves; only customer-editable attributes exist for them.
            let own = try await accounts.asUser(session, .PUT, "/api/v1/me/attributes/tax_id", json: ["value": secret], service: .audience)
            #expect(own.status == 200 && own.json["value"] as? String == secret)
            #expect(try await accounts.asUser(session, .PUT, "/api/v1/me/attributes/tier", json: ["value": "x"], service: .audience).isProblem(404))
            let ownList = try await accounts.asUser(session, .GET, "/api/v1/me/attributes", service: .audience)
            #expect((ownList.json["data"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["tax_id"])

            let listed = try await audience.call(.GET, "/users/\(userID)/attributes")
            let item = (listed.json["data"] as? [[String: Any]])?.first { $0["slug"] as? String == "tax_id" }
            #expect(item?["masked"] as? Bool == true && item?["value"] is NSNull)
            let opened = try await audience.call(.GET, "/users/\(userID)/attributes/tax_id")
            #expect(opened.json["value"] as? String == secret && opened.json["masked"] as? Bool == false)

            // Not in the table, not in any log.
            let raw = try platform.database.sql("SELECT coalesce(value::text, '') || encode(sealed, 'escape') || key_id FROM audience.attribute_values")
            #expect(!raw.contains(secret) && !raw.contains("SSN-123"))
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values WHERE value IS NULL AND sealed IS NOT NULL") == 1)
            for service in [ServiceName.users, .audience] {
                let log = try String(contentsOf: platform.process(service).logFile, encoding: .utf8)
                #expect(!log.contains("SSN-123"), "\(service) log holds the secret")
            }
            // Sealed values cannot be searched; staff who are not administrators see them masked.
            #expect(try await audience.call(.GET, "/audience/users?attributes.tax_id=x").isProblem(400))
            let agentID = try await accounts.register("agent@example.io")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(agentID)", json: ["type": "agent"])
            let agent = try await accounts.login("agent@example.io")
            let asAgent = try await accounts.asUser(agent, .GET, "/api/v1/users/\(userID)/attributes/tax_id", service: .audience)
            #expect(asAgent.status == 200 && asAgent.json["masked"] as? Bool == true && asAgent.json["value"] is NSNull)
            #expect(try await accounts.asUser(agent, .PUT, "/api/v1/users/\(userID)/attributes/tax_id", json: ["value": "x"], service: .audience).isProblem(403))
        }
    }

    @Test func sealingKeysRotate() async throws {
        let old = "k1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let new = "k2:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await withPlatform([.users, .audience], environment: ["ROSTER_ENCRYPTION_KEYS": old]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await audience.define(["name": "Secret", "slug": "secret", "type": "string", "encrypted": true])
            let users = try audience.seedUsers(2)
            #expect(try await audience.call(.PUT, "/users/\(users[0])/attributes/secret", json: ["value": "sealed by k1"]).status == 200)

            // The new key in front: old values still open, new ones are sealed with it.
            let process = platform.process(.audience)
            try await process.stop()
            process.override(["ROSTER_ENCRYPTION_KEYS": "\(new),\(old)"])
            try await process.startAndWait(http: platform.http)
            #expect(try await audience.call(.GET, "/users/\(users[0])/attributes/secret").json["value"] as? String == "sealed by k1")
            #expect(try await audience.call(.PUT, "/users/\(users[1])/attributes/secret", json: ["value": "sealed by k2"]).status == 200)
            #expect(try platform.database.sql("SELECT string_agg(key_id, ',' ORDER BY key_id) FROM audience.attribute_values") == "k1,k2")

            // A value whose key was removed is a clear 503, not a crash or a wrong value.
            try await process.stop()
            process.override(["ROSTER_ENCRYPTION_KEYS": new])
            try await process.startAndWait(http: platform.http)
            let lost = try await audience.call(.GET, "/users/\(users[0])/attributes/secret")
            #expect(lost.isProblem(503) && lost.json["code"] as? String == "key_unavailable")
            #expect(try await audience.call(.GET, "/users/\(users[1])/attributes/secret").json["value"] as? String == "sealed by k2")
        }
    }

    /// `regex` rules are PostgreSQL's: a pattern that makes a backtracking engine take
    /// exponential time is answered at once, and one PostgreSQL is slow on is cut off by a
    /// timeout. The old check (Swift's `Regex`) never returned on the first PUT below.
    @Test func regexRulesCannotHoldTheService() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            func code(_ result: HTTPResult) -> String? { (result.json["errors"] as? [[String: Any]])?.first?["code"] as? String ?? result.json["code"] as? String }
            _ = try await audience.define(["name": "Pattern", "slug": "pat", "type": "string", "validations": [["type": "regex", "value": "^(a+)+$"]]])
            _ = try await audience.define([
                "name": "Slow", "slug": "slow", "type": "string", "validations": [["type": "regex", "value": #"^(a*)(a*)(a*)\1\2\3\3b$"#]],
            ])
            _ = try await audience.define([
                "name": "Words", "slug": "words", "type": "string_list", "validations": [["type": "regex", "value": "^[a-z]+$"]],
            ])
            let user = try audience.seedUsers(1)[0]
            let path = "/users/\(user)/attributes"

            let evil = try await audience.call(.PUT, "\(path)/pat", json: ["value": String(repeating: "a", count: 1_000) + "!"])
            #expect(evil.isProblem(422) && code(evil) == "regex", "\(evil.text)")
            #expect(try await audience.call(.PUT, "\(path)/pat", json: ["value": "aaa"]).status == 200)
            let slow = try await audience.call(.PUT, "\(path)/slow", json: ["value": String(repeating: "a", count: 1_999) + "b"])
            #expect(slow.isProblem(422) && code(slow) == "regex_too_slow", "\(slow.text)")
            #expect(try await audience.call(.PUT, "\(path)/slow", json: ["value": "aab"]).status == 200)
            let item = try await audience.call(.PUT, "\(path)/words", json: ["value": ["ok", "NOT"]])
            #expect(item.isProblem(422) && code(item) == "regex", "\(item.text)")
            // Refused values changed nothing.
            let stored = try platform.database.sql(
                "SELECT string_agg(d.slug || '=' || v.value::text, ' ' ORDER BY d.slug) FROM audience.attribute_values v JOIN audience.attribute_definitions d ON d.id = v.definition_id")
            #expect(stored == #"pat="aaa" slow="aab""#)

            // The dialect is PostgreSQL's: a Unicode property class (Swift's) is refused when saved,
            // and so is a default that breaks the rule, also when a change of the rule makes it break.
            let swiftOnly = try await audience.call(
                .POST, "/attribute-definitions", json: ["name": "L", "slug": "letters", "type": "string", "validations": [["type": "regex", "value": #"^\p{L}+$"#]]] as [String: JSONValue])
            #expect(swiftOnly.isProblem(422) && code(swiftOnly) == "invalid_regex", "\(swiftOnly.text)")
            let badDefault = try await audience.call(
                .POST, "/attribute-definitions",
                json: ["name": "D", "slug": "lower", "type": "string", "validations": [["type": "regex", "value": "^[a-z]+$"]], "defaultValue": "ABC"] as [String: JSONValue])
            #expect(badDefault.isProblem(422) && (badDefault.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "defaultValue")
            _ = try await audience.define(["name": "D", "slug": "lower", "type": "string", "validations": [["type": "regex", "value": "^[a-z]+$"]], "defaultValue": "abc"])
            let tightened = try await audience.call(.PATCH, "/attribute-definitions/lower", json: ["validations": [["type": "regex", "value": "^[a-b]+$"]]] as [String: JSONValue])
            #expect(tightened.isProblem(422) && code(tightened) == "regex", "\(tightened.text)")
            #expect(try await audience.call(.GET, "/attribute-definitions/lower").json["version"] as? Int == 1)

            // A bulk job fails the row that breaks the pattern (and writes none of its values); the others apply.
            let other = try audience.seedUsers(1, prefix: "w")[0]
            let bulk = try await audience.call(
                .PATCH, "/user-attributes",
                json: ["items": [
                    ["userId": .string(user), "attributes": ["words": ["fine"]]],
                    ["userId": .string(other), "attributes": ["words": ["Bad"], "pat": "a"]],
                ]] as [String: JSONValue])
            #expect(bulk.status == 202, "\(bulk.text)")
            let location = try #require(bulk.header("Location"))
            #expect((try await audience.finish(location)["outcome"] as? [String: Any])?["failed"] as? Int == 1)
            let errors = try await platform.request(.GET, platform.url(.audience) + location + "/errors").json["data"] as? [[String: Any]]
            #expect(errors?.map { $0["code"] as? String } == ["regex"] && errors?.first?["line"] as? Int == 2, "\(errors ?? [])")
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values v WHERE v.user_id = '\(other)'") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values v WHERE v.user_id = '\(user)'") == 3)

            // Through the users service's bulk update (audience's internal assignments): 422, nothing written.
            let users = platform.url(.users) + "/api/v1/users"
            let created = try #require(try await platform.request(.POST, users, json: ["email": "r@example.io"]).json["id"] as? String)
            #expect(try await eventually { try platform.database.count("SELECT count(*) FROM audience.user_projection WHERE user_id = '\(created)'") == 1 })
            let assigned = try await platform.request(
                .POST, "\(users)/bulk-update", json: ["userIds": [.string(created)], "attributes": ["pat": "aaaa!"], "updates": ["city": "Oslo"]] as [String: JSONValue])
            #expect(assigned.isProblem(422) && code(assigned) == "regex", "\(assigned.text)")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE city = 'Oslo'") == 0)
        }
    }

    @Test func searchableStringsFitTheirIndex() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await audience.define(["name": "Bio", "slug": "bio", "type": "string", "searchable": true])
            let user = try audience.seedUsers(1)[0]
            let long = try await audience.call(.PUT, "/users/\(user)/attributes/bio", json: ["value": String(repeating: "é", count: 1_500)])
            #expect(long.isProblem(422))
            let error = (long.json["errors"] as? [[String: Any]])?.first
            #expect(error?["field"] as? String == "attributes.bio" && error?["code"] as? String == "max_length")
            #expect(try await audience.call(.PUT, "/users/\(user)/attributes/bio", json: ["value": String(repeating: "é", count: 1_000)]).status == 200)
            let nul = try await platform.request(
                .PUT, audience.base + "/users/\(user)/attributes/bio", body: Data(#"{"value":"a\u0000b"}"#.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(nul.isProblem(400) || nul.isProblem(422))
        }
    }

    /// An index build whose last attempt's process died: once the lease runs out, the
    /// definition shows its index `failed` instead of `building` for ever.
    @Test func anIndexBuildWhoseLastAttemptDiesIsFailed() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try await audience.define(["name": "Bio", "slug": "bio", "type": "string", "searchable": true])
            let ready = try await eventually(timeout: .seconds(30)) {
                try await audience.call(.GET, "/attribute-definitions/bio").json["searchIndex"] as? String == "ready"
            }
            #expect(ready)
            // A build on its last attempt whose worker died and whose lease ran out.
            let dying = """
                INSERT INTO audience.jobs (id, application_id, kind, status, attempts, max_attempts, payload, lease_expires_at)
                SELECT gen_random_uuid(), application_id, 'audience.attribute_index', 'running', 10, 10,
                    jsonb_build_object('definitionId', id::text), now() - interval '1 second'
                FROM audience.attribute_definitions WHERE slug = 'bio'
                """
            // While a later save's build is still queued, `building` is that one's.
            _ = try platform.database.sql(
                """
                UPDATE audience.attribute_definitions SET index_state = 'building' WHERE slug = 'bio';
                INSERT INTO audience.jobs (id, application_id, kind, payload, run_at)
                SELECT gen_random_uuid(), application_id, 'audience.attribute_index', jsonb_build_object('definitionId', id::text),
                    now() + interval '1 hour'
                FROM audience.attribute_definitions WHERE slug = 'bio';
                \(dying)
                """)
            let swept = try await eventually(timeout: .seconds(30)) {
                try platform.database.count("SELECT count(*) FROM audience.jobs WHERE status = 'failed'") == 1
            }
            #expect(swept)
            #expect(try await audience.call(.GET, "/attribute-definitions/bio").json["searchIndex"] as? String == "building")
            // With no build left to run, the next one that dies leaves the index `failed`.
            _ = try platform.database.sql("DELETE FROM audience.jobs WHERE status = 'queued'; \(dying)")
            let failed = try await eventually(timeout: .seconds(30)) {
                try await audience.call(.GET, "/attribute-definitions/bio").json["searchIndex"] as? String == "failed"
            }
            #expect(failed, "the definition's index stayed building")
            #expect(try platform.database.count("SELECT count(*) FROM audience.jobs WHERE status = 'failed'") == 2)
        }
    }
}
