import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Searchable attributes (indexed by design) and bulk attribute jobs.
@Suite(.serialized) struct AudienceSearchAndBulkTests {
    @Test func searchableAttributesAreIndexedFilterableAndSortable() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(40)
            let score = try await audience.define(["name": "Score", "slug": "score", "type": "number", "searchable": true])
            _ = try await audience.define(["name": "Plan", "slug": "plan", "type": "string"])
            let scoreID = try #require(score["id"] as? String)
            #expect(score["searchIndex"] as? String == "building")
            let ready = try await eventually(timeout: .seconds(30)) {
                try await audience.call(.GET, "/attribute-definitions/score").json["searchIndex"] as? String == "ready"
            }
            #expect(ready)
            let index = "attribute_values_d_" + scoreID.replacingOccurrences(of: "-", with: "")
            #expect(try platform.database.count(
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '\(index)' AND i.indisvalid") == 1)

            let items: [[String: JSONValue]] = users.enumerated().map { number, id in
                ["userId": .string(id), "attributes": ["score": .integer(Int64(number)), "plan": .string(number % 2 == 0 ? "pro" : "free")]]
            }
            let queued = try await audience.call(.PATCH, "/user-attributes", json: ["items": JSONValue.array(items.map { .object($0) })])
            #expect(queued.status == 202, "\(queued.text)")
            let done = try await audience.finish(try #require(queued.header("Location")))
            #expect(done["status"] as? String == "succeeded" && (done["outcome"] as? [String: Any])?["applied"] as? Int == 40)

            let equal = try await audience.call(.GET, "/audience/users?attributes.score=7")
            #expect((equal.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [users[7]])
            let range = try await audience.call(.GET, "/audience/users?attributes.score.gte=10&attributes.score.lt=20&sort=attributes.score&limit=4")
            #expect((range.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[10..<14]))
            #expect((range.json["pagination"] as? [String: Any])?["total"] as? Int == 10)
            // The cursor continues in attribute order.
            let cursor = try #require((range.json["pagination"] as? [String: Any])?["nextCursor"] as? String)
            let next = try await audience.call(
                .GET, "/audience/users?attributes.score.gte=10&attributes.score.lt=20&sort=attributes.score&limit=4&cursor=\(cursor)")
            #expect((next.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[14..<18]))
            // Without a sort, newest (highest id) first, paged by cursor from the attribute's index.
            let newest = try await audience.call(.GET, "/audience/users?attributes.score.lt=10&limit=4")
            #expect((newest.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[6..<10].reversed()))
            #expect((newest.json["pagination"] as? [String: Any])?["total"] as? Int == 10)
            let newestCursor = try #require((newest.json["pagination"] as? [String: Any])?["nextCursor"] as? String)
            let older = try await audience.call(.GET, "/audience/users?attributes.score.lt=10&limit=4&cursor=\(newestCursor)")
            #expect((older.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[2..<6].reversed()))
            let secondPage = try await audience.call(.GET, "/audience/users?attributes.score.lt=10&limit=4&page=3")
            #expect((secondPage.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[0..<2].reversed()))
            // With a profile filter too, the same answer through the general plan.
            let active = try await audience.call(.GET, "/audience/users?attributes.score.lt=10&status=active&limit=4")
            #expect((active.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(users[6..<10].reversed()))
            let inFilter = try await audience.call(.GET, "/audience/users?filter=%7B%22attributes.score.in%22%3A%5B1%2C2%5D%7D")
            #expect((inFilter.json["pagination"] as? [String: Any])?["total"] as? Int == 2)

            // The service's own search reads the definition's index.
            let scansBefore = try platform.database.count("SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_all_indexes WHERE indexrelname = '\(index)'")
            _ = try await audience.call(.GET, "/audience/users?attributes.score.gte=35")
            let scanned = try await eventually(timeout: .seconds(5), every: .milliseconds(250)) {
                try platform.database.count("SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_all_indexes WHERE indexrelname = '\(index)'") > scansBefore
            }
            #expect(scanned, "the search did not use \(index)")

            // Malformed attribute names are a 400, never a crash.
            for query in ["attributes.=x", "attributes..=x", "filter=%7B%22attributes.%22%3A1%7D", "attributes.score.=1"] {
                #expect(try await audience.call(.GET, "/audience/users?\(query)").isProblem(400), "\(query)")
            }

            let notSearchable = try await audience.call(.GET, "/audience/users?attributes.plan=pro")
            #expect(notSearchable.isProblem(400) && notSearchable.json["code"] as? String == "attribute_not_searchable")
            #expect(try await audience.call(.GET, "/audience/users?sort=attributes.plan").isProblem(400))
            #expect(try await audience.call(.GET, "/audience/users?attributes.nope=1").isProblem(400))
            #expect(try await audience.call(.GET, "/audience/users?attributes.score=abc").isProblem(400))
            #expect(try await audience.call(.GET, "/audience/users?attributes.score.near=1").isProblem(400))

            // Turning search off drops the index.
            #expect(try await audience.call(.PATCH, "/attribute-definitions/score", json: ["searchable": false]).status == 200)
            let dropped = try await eventually(timeout: .seconds(30)) {
                try platform.database.count("SELECT count(*) FROM pg_class WHERE relname = '\(index)'") == 0
            }
            #expect(dropped)
        }
    }

    @Test func bulkJobsReportRowErrorsAndApplyOnce() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            _ = try audience.seedUsers(3)
            _ = try await audience.define(["name": "Age", "slug": "age", "type": "number", "validations": [["type": "max", "value": 120]]])
            _ = try await audience.define(["name": "City", "slug": "city", "type": "string"])
            let csv = "email,age,city\nu1@example.io,30,Oslo\nu2@example.io,300,Rome\nnobody@example.io,5,Nice\nU3@Example.io,,Lima\n"
            let key = [("Idempotency-Key", "import-1")]
            let queued = try await audience.upload("/user-attributes", csv: csv, method: .PATCH, headers: key)
            #expect(queued.status == 202, "\(queued.text)")
            let location = try #require(queued.header("Location"))
            let done = try await audience.finish(location)
            let outcome = try #require(done["outcome"] as? [String: Any])
            #expect(outcome["total"] as? Int == 4 && outcome["applied"] as? Int == 2 && outcome["failed"] as? Int == 2)
            let errors = try await platform.request(.GET, platform.url(.audience) + location + "/errors").json["data"] as? [[String: Any]] ?? []
            #expect(errors.map { $0["line"] as? Int } == [3, 4])
            #expect(errors.first?["field"] as? String == "attributes.age" && errors.first?["code"] as? String == "max")
            #expect(errors.last?["code"] as? String == "no_user")
            // The bad row wrote nothing (not even its good city); the empty cell left age unset.
            func values(of email: String) throws -> Int {
                try platform.database.count(
                    "SELECT count(*) FROM audience.attribute_values v JOIN audience.user_projection p USING (application_id, user_id) WHERE p.email = '\(email)'")
            }
            #expect(try values(of: "u1@example.io") == 2 && values(of: "u2@example.io") == 0 && values(of: "u3@example.io") == 1)

            // The same key returns the same job, stores no rows and queues nothing again.
            let repeated = try await audience.upload("/user-attributes", csv: csv, method: .PATCH, headers: key)
            #expect(repeated.status == 202 && repeated.json["id"] as? String == queued.json["id"] as? String)
            #expect(try platform.database.count("SELECT count(*) FROM audience.jobs WHERE kind = 'audience.bulk_attributes'") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM audience.bulk_attribute_rows") == 0)

            // Inline items report row errors by position too.
            let inline = try await audience.call(
                .PATCH, "/user-attributes",
                json: ["items": [
                    ["email": "u3@example.io", "attributes": ["age": 40]], ["email": "u3@example.io", "attributes": ["age": "old"]],
                    ["userId": "not-an-id", "attributes": ["age": 1]],
                ]] as [String: JSONValue])
            #expect(inline.status == 202)
            let inlineLocation = try #require(inline.header("Location"))
            #expect((try await audience.finish(inlineLocation)["outcome"] as? [String: Any])?["failed"] as? Int == 2)
            let inlineErrors = try await platform.request(.GET, platform.url(.audience) + inlineLocation + "/errors").json["data"] as? [[String: Any]]
            #expect(inlineErrors?.map { $0["code"] as? String } == ["invalid_type", "invalid_key"])

            // Refused up front: unknown columns, bad items, malformed CSV.
            let unknown = try await audience.upload("/user-attributes", csv: "email,shoe\nu1@example.io,42\n", method: .PATCH)
            #expect(unknown.isProblem(422) && (unknown.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "unknown_attribute")
            #expect(try await audience.upload("/user-attributes", csv: "age\n1\n", method: .PATCH).isProblem(400))
            #expect(try await audience.upload("/user-attributes", csv: "email,age\n\"u1@example.io,1\n", method: .PATCH).isProblem(400))
            #expect(try await audience.call(.PATCH, "/user-attributes", json: ["items": [["attributes": ["age": 1]]]] as [String: JSONValue]).isProblem(422))
            #expect(try await audience.call(.PATCH, "/user-attributes", json: ["items": []] as [String: [String]]).isProblem(422))
            #expect(try await audience.call(.PATCH, "/user-attributes", json: ["items": [["email": "u1@example.io", "attributes": ["shoe": 1]]]] as [String: JSONValue]).isProblem(422))
            #expect(try platform.database.count("SELECT count(*) FROM audience.bulk_attribute_rows") == 0)
        }
    }

    /// Issue 5: a job over 100,000 users finishes, shows progress while running, and a retry
    /// with the same key does not apply twice.
    @Test func aBulkJobOverOneHundredThousandUsers() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let users = try audience.seedUsers(100_000)
            _ = try await audience.define(["name": "Rank", "slug": "rank", "type": "number"])
            let items = users.enumerated().map { number, id in #"{"userId":"\#(id)","attributes":{"rank":\#(number)}}"# }
            let body = Data(("{\"items\":[" + items.joined(separator: ",") + "]}").utf8)
            let headers = [("Content-Type", "application/json"), ("Idempotency-Key", "rank-all")]
            let queued = try await platform.request(.PATCH, audience.base + "/user-attributes", body: body, headers: headers, timeout: .seconds(120))
            #expect(queued.status == 202, "\(queued.text.prefix(300))")
            let location = try #require(queued.header("Location"))
            var progress: Set<Int> = []
            var last: [String: Any] = [:]
            _ = try await eventually(timeout: .seconds(300), every: .milliseconds(200)) {
                last = try await platform.request(.GET, platform.url(.audience) + location).json
                if let done = (last["progress"] as? [String: Any])?["done"] as? Int { progress.insert(done) }
                return last["status"] as? String == "succeeded"
            }
            #expect(last["status"] as? String == "succeeded")
            #expect(progress.contains { $0 > 0 && $0 < 100_000 }, "no progress seen while running: \(progress.sorted())")
            #expect((last["outcome"] as? [String: Any])?["applied"] as? Int == 100_000)
            #expect(try platform.database.count("SELECT count(*) FROM audience.attribute_values") == 100_000)
            let again = try await platform.request(.PATCH, audience.base + "/user-attributes", body: body, headers: headers, timeout: .seconds(120))
            #expect(again.json["id"] as? String == queued.json["id"] as? String)
            #expect(try platform.database.count("SELECT count(*) FROM audience.bulk_attribute_rows") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM audience.jobs WHERE kind = 'audience.bulk_attributes'") == 1)
        }
    }
}
