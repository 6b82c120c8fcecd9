import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// The users slice through its public API: validation, tenancy, listing in both dialects.
@Suite(.serialized) struct UserAPITests {
    static func counts(_ platform: TestPlatform) throws -> [Int] {
        [
            try platform.database.count("SELECT count(*) FROM users.users"),
            try platform.database.count("SELECT count(*) FROM users.outbox_events"),
        ]
    }

    /// PostgresNIO remembers a failed preparation of `UserByID` for the life of the connection;
    /// reads then take the unprepared query there instead of failing until a restart.
    @Test func readsSurviveAFailedPreparation() async throws {
        try await withPlatform([.users]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            let created = try await platform.request(.POST, users, json: ["email": "prepared@example.io"])
            let id = try #require(created.json["id"] as? String)
            // The first preparation on a connection fails: a column it reads is gone for a while.
            try platform.database.sql("ALTER TABLE users.users RENAME COLUMN ban_reason TO ban_reason_gone")
            for _ in 0..<10 { #expect(try await platform.request(.GET, "\(users)/\(id)").status >= 500) }
            try platform.database.sql("ALTER TABLE users.users RENAME COLUMN ban_reason_gone TO ban_reason")
            for _ in 0..<10 {
                let read = try await platform.request(.GET, "\(users)/\(id)")
                #expect(read.status == 200 && read.json["email"] as? String == "prepared@example.io", "\(read.text)")
            }
        }
    }

    @Test func badInputIsA4xxProblemAndWritesNothing() async throws {
        try await withPlatform([.users]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            let created = try await platform.request(.POST, users, json: ["email": "Taken@Example.com", "type": "lead"])
            #expect(created.status == 201)
            #expect(created.header("Location") == "/api/v1/users/\(created.json["id"] as? String ?? "")")
            let before = try Self.counts(platform)

            let json = [("Content-Type", "application/json")]
            let malformed = try await platform.request(.POST, users, body: Data("{\"email\":".utf8), headers: json)
            #expect(malformed.isProblem(400) && malformed.json["code"] as? String == "malformed_json")
            let empty = try await platform.request(.POST, users, body: Data(), headers: json)
            #expect(empty.isProblem(400))
            let notAnObject = try await platform.request(.POST, users, body: Data("[1,2]".utf8), headers: json)
            #expect(notAnObject.isProblem(400))
            let wrongType = try await platform.request(.POST, users, body: Data(#"{"email":5}"#.utf8), headers: json)
            #expect(wrongType.isProblem(400))
            #expect((wrongType.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "email")
            let wrongNested = try await platform.request(.POST, users, body: Data(#"{"firstName":["a"]}"#.utf8), headers: json)
            #expect(wrongNested.isProblem(400))
            let nul = try await platform.request(.POST, users, body: Data(#"{"firstName":"a\u0000b"}"#.utf8), headers: json)
            #expect(nul.isProblem(400))
            #expect(try await platform.request(.GET, "\(users)?status=%00").isProblem(400))
            let form = try await platform.request(.POST, users, body: Data("email=a".utf8), headers: [("Content-Type", "text/plain")])
            #expect(form.isProblem(415))
            let badType = try await platform.request(.POST, users, json: ["type": "boss"])
            #expect(badType.isProblem(422) && badType.json["code"] as? String == "invalid_user_type")
            let badEmail = try await platform.request(.POST, users, json: ["email": "no-at-sign", "firstName": String(repeating: "x", count: 101)])
            #expect(badEmail.isProblem(422) && (badEmail.json["errors"] as? [Any])?.count == 2)
            let duplicate = try await platform.request(.POST, users, json: ["email": "taken@example.COM"])
            #expect(duplicate.isProblem(409) && duplicate.json["code"] as? String == "duplicate_email")

            let huge = Data(("{\"firstName\":\"" + String(repeating: "x", count: 2 << 20) + "\"}").utf8)
            let tooLarge = try await platform.request(.POST, users, body: huge, headers: json)
            #expect(tooLarge.isProblem(413))
            let chunked = try await Self.postChunked(platform, url: users, body: huge)
            #expect(chunked.isProblem(413))

            let id = created.json["id"] as! String
            let nullType = try await platform.request(.PATCH, "\(users)/\(id)", json: ["type": JSONValue.null])
            #expect(nullType.isProblem(422))
            let patchWrong = try await platform.request(.PATCH, "\(users)/\(id)", body: Data(#"{"status":true}"#.utf8), headers: json)
            #expect(patchWrong.isProblem(400))
            #expect(try Self.counts(platform) == before, "no bad request changed anything")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE type = 'lead' AND email = 'Taken@Example.com'") == 1)
        }
    }

    /// A body sent without Content-Length (chunked) is cut off at the limit too.
    static func postChunked(_ platform: TestPlatform, url: String, body: Data) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(platform.apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let chunks = stride(from: 0, to: body.count, by: 65536).map { ByteBuffer(bytes: body[$0..<min(body.count, $0 + 65536)]) }
        request.body = .stream(chunks.async, length: .unknown)
        let response = try await platform.http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    @Test func readsUpdatesAndDeletesStayInTheTenant() async throws {
        try await withPlatform([.users]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            let created = try await platform.request(.POST, users, json: ["email": "ann@example.com", "firstName": "Ann"])
            let id = try #require(created.json["id"] as? String)
            let fetched = try await platform.request(.GET, "\(users)/\(id)")
            #expect(fetched.status == 200 && fetched.json["email"] as? String == "ann@example.com" && fetched.json["type"] as? String == "user")

            let updated = try await platform.request(.PATCH, "\(users)/\(id)", json: ["lastName": JSONValue.string("Smith"), "email": .null])
            #expect(updated.status == 200 && updated.json["lastName"] as? String == "Smith" && updated.json["email"] == nil)
            #expect(try platform.database.count("SELECT version FROM users.users") == 2)

            // Another application's user is invisible: 404, never 403.
            let other = EntityID.generate()
            let stranger = EntityID.generate()
            try platform.database.sql("INSERT INTO users.applications (id, name) VALUES ('\(other)', 'Other')")
            try platform.database.sql("INSERT INTO users.users (id, application_id, email) VALUES ('\(stranger)', '\(other)', 'x@other.io')")
            #expect(try await platform.request(.GET, "\(users)/\(stranger)").isProblem(404))
            #expect(try await platform.request(.PATCH, "\(users)/\(stranger)", json: ["firstName": "Mallory"]).isProblem(404))
            #expect(try await platform.request(.DELETE, "\(users)/\(stranger)").isProblem(404))
            #expect(try await platform.request(.GET, "\(users)/\(EntityID.generate())").isProblem(404))
            #expect(try await platform.request(.GET, "\(users)/not-an-id").isProblem(404))
            let list = try await platform.request(.GET, users)
            #expect((list.json["data"] as? [Any])?.count == 1)

            let deleted = try await platform.request(.DELETE, "\(users)/\(id)")
            #expect(deleted.status == 204 && deleted.body.isEmpty)
            #expect(try await platform.request(.GET, "\(users)/\(id)").isProblem(404))
            #expect(try platform.database.sql("SELECT string_agg(event_type || ':' || version, ',' ORDER BY seq) FROM users.outbox_events")
                == "user.created:1,user.updated:2,user.deleted:3")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE application_id = '\(other)'") == 1)
        }
    }

    @Test func listsPageInBothDialects() async throws {
        try await withPlatform([.users]) { platform in
            let users = platform.url(.users) + "/api/v1/users"
            for index in 0..<25 {
                let response = try await platform.request(.POST, users, json: ["email": "u\(index)@example.com", "status": index % 5 == 0 ? "inactive" : "active"])
                #expect(response.status == 201)
            }
            let first = try await platform.request(.GET, "\(users)?page=1&limit=10&sort=createdAt")
            let pagination = try #require(first.json["pagination"] as? [String: Any])
            #expect(pagination["total"] as? Int == 25 && pagination["pages"] as? Int == 3 && pagination["hasNext"] as? Bool == true)
            #expect(first.header("Content-Range") == "items 0-9/25" && first.header("X-Total-Count") == "25")
            #expect(first.header("Link")?.contains("rel=\"next\"") == true)
            #expect(first.header("Access-Control-Expose-Headers")?.contains("Content-Range") == true)

            // Keyset paging visits every user once, in order.
            var seen: [String] = []
            var cursor = pagination["nextCursor"] as? String
            seen += (first.json["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
            while let next = cursor {
                let page = try await platform.request(.GET, "\(users)?limit=10&sort=createdAt&cursor=\(next)")
                #expect(page.status == 200)
                seen += (page.json["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
                cursor = (page.json["pagination"] as? [String: Any])?["nextCursor"] as? String
            }
            #expect(seen == (0..<25).map { "u\($0)@example.com" })

            let range = try await platform.request(.GET, "\(users)?range=%5B20%2C29%5D&sort=%5B%22createdAt%22%2C%22ASC%22%5D")
            #expect(range.jsonArray.count == 5 && range.header("Content-Range") == "items 20-24/25")
            let filtered = try await platform.request(.GET, "\(users)?filter=%7B%22status%22%3A%22inactive%22%7D")
            #expect((filtered.json["pagination"] as? [String: Any])?["total"] as? Int == 5)
            #expect(try await platform.request(.GET, "\(users)?sort=password").isProblem(400))
            #expect(try await platform.request(.GET, "\(users)?limit=1000").isProblem(400))
        }
    }
}
