import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// CSV import of users (issue 4, seed 000): good rows imported and bad ones reported by line,
/// files that are not CSV refused with nothing staged, tags and groups reaching audience,
/// idempotent retries, and other applications kept out.
@Suite(.serialized) struct ImportTests {
    static let boundary = "roster-test-boundary"

    /// A multipart body with a `file` part and, optionally, a `mapping` part; `closed: false`
    /// leaves out the closing boundary, as a cut-off upload would.
    static func multipart(file: Data?, mapping: String? = nil, closed: Bool = true) -> Data {
        var body = Data()
        if let mapping {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n\(mapping)\r\n".utf8))
        }
        if let file {
            body.append(
                Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        if closed { body.append(Data("--\(boundary)--\r\n".utf8)) }
        return body
    }

    static func upload(
        _ platform: TestPlatform, file: Data?, mapping: String? = nil, closed: Bool = true, headers: [(String, String)] = []
    ) async throws -> HTTPResult {
        try await platform.request(
            .POST, platform.url(.users) + "/api/v1/users/import", body: multipart(file: file, mapping: mapping, closed: closed),
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")] + headers)
    }

    /// Polls the import until it is done.
    static func finished(_ platform: TestPlatform, _ id: String, headers: [(String, String)] = []) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
            last = try await platform.request(.GET, platform.url(.users) + "/api/v1/users/imports/\(id)", headers: headers).json
            return last["status"] as? String == "succeeded" || last["status"] as? String == "failed"
        }
        return last
    }

    @Test func importsGoodRowsReportsBadOnesAndSendsTagsAndGroups() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            let group = try await audience.call(.POST, "/groups", json: ["name": "Premium Users"])
            #expect(group.status == 201, "\(group.text)")
            let groupID = try #require(group.json["id"] as? String)
            let users = platform.url(.users) + "/api/v1/users"
            #expect(try await platform.request(.POST, users, json: ["email": "taken@example.io"]).status == 201)
            let csv = """
                email,phone,First Name,last_name,tags,groups,Notes
                ann@example.io,+14155550101,Ann,Lee,"VIP,Gold",Premium Users,note
                bad-email,,Bob,,,,
                ANN@example.io,,Dup,,,,
                taken@example.io,,Taken,,,,
                carl@example.io,+14155550102,Carl,,VIP,"Premium Users,No Such Group",
                dan@example.io,+14155550103,Dan
                ,,,,,,
                eve@example.io,,"Eve ""E"" Smith",,,,
                gus@example.io,,Gus "G" Doe,,,,
                "hal@example.io"x,,Hal,,,,
                ivy@example.io,,Ivy,,,,

                """
            let key = [("Idempotency-Key", "import-1")]
            let started = try await Self.upload(platform, file: Data(csv.utf8), mapping: #"{"Notes": null}"#, headers: key)
            #expect(started.status == 202, "\(started.text)")
            let id = try #require(started.json["id"] as? String)
            #expect(started.header("Location") == "/api/v1/users/imports/\(id)")
            #expect(started.json["total"] as? Int == 11 && started.json["fileName"] as? String == "users.csv")
            let columns = started.json["columns"] as? [Any] ?? []
            #expect(columns.count == 7 && columns[2] as? String == "firstName" && columns[6] is NSNull, "\(started.text)")

            let done = try await Self.finished(platform, id)
            #expect(done["status"] as? String == "succeeded", "\(done)")
            #expect(done["imported"] as? Int == 4 && done["failed"] as? Int == 7 && done["pending"] as? Int == 0, "\(done)")
            let names = try platform.database.sql("SELECT string_agg(first_name, ',' ORDER BY first_name) FROM users.users WHERE email <> 'taken@example.io'")
            #expect(names == "Ann,Carl,Eve \"E\" Smith,Ivy")

            let errors = try await platform.request(.GET, "\(users)/imports/\(id)/errors")
            #expect(errors.status == 200, "\(errors.text)")
            let rows = (errors.json["data"] as? [[String: Any]] ?? []).map {
                "\($0["line"] as? Int ?? 0) \($0["field"] as? String ?? "") \($0["code"] as? String ?? "") \($0["imported"] as? Bool ?? false)"
            }
            #expect(
                rows == [
                    "3 email invalid_email false", "4 email duplicate_in_file false", "5 email already_exists false",
                    "6 groups group_not_applied true", "7 row column_count false", "8 row required false",
                    "10 row malformed_row false", "11 row malformed_row false",
                ], "\(errors.text)")
            let messages = (errors.json["data"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            #expect(messages.contains("email repeats line 2") && messages.contains("imported without No Such Group (unknown)"), "\(messages)")
            #expect(messages.contains { $0.hasPrefix("line 10: a quote inside an unquoted field") }, "\(messages)")

            // Audience knows the users (from their events, snapshots written by SQL) and their tags and group.
            #expect(
                try await eventually(timeout: .seconds(20)) {
                    try platform.database.count(
                        """
                        SELECT count(*) FROM audience.group_members m JOIN users.users u ON u.id = m.user_id
                        WHERE m.group_id = '\(groupID)' AND u.first_name IN ('Ann', 'Carl')
                        """) == 2
                })
            let tags = try platform.database.sql(
                """
                SELECT string_agg(t.name || ':' || u.first_name, ',' ORDER BY t.name, u.first_name)
                FROM audience.user_tags ut JOIN audience.tags t ON t.id = ut.tag_id JOIN users.users u ON u.id = ut.user_id
                """)
            #expect(tags == "Gold:Ann,VIP:Ann,VIP:Carl")
            #expect(
                try platform.database.count(
                    """
                    SELECT count(*) FROM users.users u JOIN audience.user_projection p ON p.user_id = u.id
                    WHERE p.version = u.version AND p.email IS NOT DISTINCT FROM u.email AND p.phone IS NOT DISTINCT FROM u.phone
                        AND p.first_name IS NOT DISTINCT FROM u.first_name AND p.type = u.type AND p.created_at = u.created_at
                    """) == 5)

            // The same key returns the first import; nothing is staged or imported again.
            let again = try await Self.upload(platform, file: Data(csv.utf8), mapping: #"{"Notes": null}"#, headers: key)
            #expect(again.status == 202 && again.json["id"] as? String == id, "\(again.text)")
            #expect(try platform.database.count("SELECT count(*) FROM users.user_imports") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.users") == 5)

            // Another file with the key is refused; a finished import cannot be re-driven.
            let other = try await Self.upload(platform, file: Data("email\nzed@example.io\n".utf8), headers: key)
            #expect(other.isProblem(422) && other.json["code"] as? String == "idempotency_key_reused", "\(other.text)")
            let redrive = try await platform.request(.POST, "\(users)/imports/\(id)/redrive")
            #expect(redrive.isProblem(409), "\(redrive.text)")

            // A plain text/csv body works too; its repeats of existing users are reported.
            let plain = try await platform.request(
                .POST, "\(users)/import", body: Data("email,type\nann@example.io,lead\nfay@example.io,lead\n".utf8),
                headers: [("Content-Type", "text/csv")])
            #expect(plain.status == 202, "\(plain.text)")
            let second = try await Self.finished(platform, try #require(plain.json["id"] as? String))
            #expect(second["imported"] as? Int == 1 && second["failed"] as? Int == 1, "\(second)")
            #expect(try platform.database.sql("SELECT type FROM users.users WHERE email = 'fay@example.io'") == "lead")
        }
    }

    @Test func valuesArriveAsWrittenAcrossChunks() async throws {
        try await withPlatform([.users]) { platform in
            // Backslashes, tabs, a literal \N, quotes and commas survive staging (COPY's escapes).
            var csv = "username,firstName,lastName,city\n"
            csv += "odd_one,\"Back\\slash\",\"Tab\there\",\\N\n"
            csv += "quoted,\"Say \"\"hi\"\", ok\",\"Line\nbreak\",\n"
            // Enough rows for three chunks of 10,000.
            csv += (1...25_000).map { "user_\($0),F\($0),L\($0),Oslo" }.joined(separator: "\n")
            let started = try await platform.request(
                .POST, platform.url(.users) + "/api/v1/users/import", body: Data(csv.utf8), headers: [("Content-Type", "text/csv")])
            #expect(started.status == 202, "\(started.text)")
            let done = try await Self.finished(platform, try #require(started.json["id"] as? String))
            #expect(done["imported"] as? Int == 25_002 && done["failed"] as? Int == 0, "\(done)")
            #expect(try platform.database.sql("SELECT first_name || '|' || last_name || '|' || city FROM users.users WHERE username = 'odd_one'") == "Back\\slash|Tab\there|\\N")
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE username = 'quoted' AND first_name = 'Say \"hi\", ok' AND last_name = E'Line\\nbreak' AND city IS NULL") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE city = 'Oslo' AND first_name = 'F' || substr(username, 6)") == 25_000)
            // The kept counts follow the set-wise insert.
            let counts = try await platform.request(.GET, platform.url(.users) + "/api/v1/users?type=visitor&limit=1")
            #expect(counts.json["pagination"].flatMap { ($0 as? [String: Any])?["total"] as? Int } == 25_002, "\(counts.text.prefix(300))")
        }
    }

    @Test func refusesWhatIsNotAUsableCSVAndStagesNothing() async throws {
        try await withPlatform([.users]) { platform in
            func refused(_ result: HTTPResult, _ status: Int, _ code: String, _ detail: String? = nil) {
                #expect(result.isProblem(status) && result.json["code"] as? String == code, "\(result.text)")
                if let detail { #expect((result.json["detail"] as? String ?? "").contains(detail), "\(result.text)") }
            }
            refused(try await Self.upload(platform, file: Data()), 400, "malformed_csv", "empty")
            refused(try await Self.upload(platform, file: Data([0x89, 0x50, 0x4E, 0x47, 0x00, 0x0D, 0x0A, 0x1A])), 400, "malformed_csv")
            refused(try await Self.upload(platform, file: Data("email\n\"ann@example.io\n".utf8)), 400, "malformed_csv", "line 2")
            refused(try await Self.upload(platform, file: Data("email,x\"y\n".utf8)), 400, "malformed_csv", "header")
            refused(try await Self.upload(platform, file: Data("email,nickname\na@example.io,A\n".utf8)), 422, "validation_error", "nickname")
            refused(try await Self.upload(platform, file: Data("firstName\nAnn\n".utf8)), 422, "validation_error", "email, phone or username")
            refused(try await Self.upload(platform, file: Data("email,email\n".utf8)), 422, "validation_error", "email")
            refused(
                try await Self.upload(platform, file: Data("mail\na@example.io\n".utf8), mapping: #"{"mail": "nickname"}"#), 422,
                "validation_error", "nickname")
            refused(try await Self.upload(platform, file: Data("email\na@example.io\n".utf8), mapping: "[1,2"), 400, "invalid_mapping")
            refused(try await Self.upload(platform, file: Data("email\na@example.io\n".utf8), closed: false), 400, "malformed_multipart", "cut off")
            refused(try await Self.upload(platform, file: nil, mapping: "{}"), 400, "malformed_multipart", "file")
            // Cut off after the file part, in a mapping that follows it.
            var cut = Self.multipart(file: Data("email,Notes\na@example.io,x\n".utf8), closed: false)
            cut.append(Data("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{\"Notes\": nu".utf8))
            refused(
                try await platform.request(
                    .POST, platform.url(.users) + "/api/v1/users/import", body: cut,
                    headers: [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)")]), 400, "malformed_multipart", "cut off")
            refused(
                try await platform.request(
                    .POST, platform.url(.users) + "/api/v1/users/import", body: Data("email\n".utf8),
                    headers: [("Content-Type", "multipart/form-data")]), 400, "malformed_multipart")
            refused(
                try await platform.request(.POST, platform.url(.users) + "/api/v1/users/import", json: ["email": "a@example.io"]), 415,
                "unsupported_media_type")
            #expect(try platform.database.count("SELECT count(*) FROM users.user_imports") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM users.user_import_rows") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM users.jobs") == 0)
            #expect(try platform.database.count("SELECT count(*) FROM users.users") == 0)
        }
    }

    @Test func importsAreTheApplicationsOwn() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            let started = try await Self.upload(platform, file: Data("email\na@example.io\n".utf8))
            let id = try #require(started.json["id"] as? String)
            #expect(try await Self.finished(platform, id)["imported"] as? Int == 1)
            let created = try await accounts.asAdmin(.POST, "/api/v1/applications", json: ["name": "B"])
            let bKey = [("Authorization", "Bearer \(try #require((created.json["apiKey"] as? [String: Any])?["key"] as? String))")]
            let base = platform.url(.users) + "/api/v1/users/imports"
            #expect(try await platform.request(.GET, "\(base)/\(id)", headers: bKey).isProblem(404))
            #expect(try await platform.request(.GET, "\(base)/\(id)/errors", headers: bKey).isProblem(404))
            #expect(try await platform.request(.GET, "\(base)/\(UUID().uuidString)").isProblem(404))
            #expect(try await platform.request(.GET, "\(base)/not-an-id").isProblem(404))
            // B imports the same email into its own application.
            let own = try await Self.upload(platform, file: Data("email\na@example.io\n".utf8), headers: bKey)
            #expect(try await Self.finished(platform, try #require(own.json["id"] as? String), headers: bKey)["imported"] as? Int == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE email = 'a@example.io'") == 2)
        }
    }

    @Test func tagsAndGroupsArriveWhenAudienceComesBack() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let audience = AudienceFixtures(platform: platform)
            #expect(try await audience.call(.POST, "/groups", json: ["name": "Beta"]).status == 201)
            let process = platform.process(.audience)
            try await process.stop()
            let csv = "email,tags,groups\n" + (1...50).map { "u\($0)@example.io,T\($0 % 3),Beta" }.joined(separator: "\n")
            let started = try await Self.upload(platform, file: Data(csv.utf8))
            #expect(started.status == 202, "\(started.text)")
            // The users are imported while audience is away; their tags and groups wait for it.
            #expect(try await eventually(timeout: .seconds(20)) { try platform.database.count("SELECT count(*) FROM users.users") == 50 })
            try await Task.sleep(for: .seconds(1))
            #expect(["queued", "running"].contains(try platform.database.sql("SELECT status FROM users.jobs")))
            try await process.startAndWait(http: platform.http)
            let done = try await Self.finished(platform, try #require(started.json["id"] as? String))
            #expect(done["status"] as? String == "succeeded" && done["imported"] as? Int == 50, "\(done)")
            #expect(try platform.database.count("SELECT count(*) FROM audience.group_members") == 50)
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_tags") == 50)
            #expect(try platform.database.count("SELECT count(*) FROM audience.tags") == 3)
        }
    }
}
