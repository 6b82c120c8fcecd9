import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Helpers of the audience suites: calls to the audience service with the admin key, and
/// users placed straight into its projection (as users' events would) when many are needed.
struct AudienceFixtures {
    let platform: TestPlatform

    var base: String { self.platform.url(.audience) + "/api/v1" }

    func call(_ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil, headers: [(String, String)] = []) async throws -> HTTPResult {
        try await self.platform.request(method, self.base + path, json: json, headers: headers)
    }

    func upload(_ path: String, csv: String, method: HTTPMethod = .POST, headers: [(String, String)] = []) async throws -> HTTPResult {
        try await self.platform.request(method, self.base + path, body: Data(csv.utf8), headers: [("Content-Type", "text/csv")] + headers)
    }

    /// The default application's id.
    func applicationID() throws -> String {
        try self.platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")
    }

    /// `count` users in the projection (emails `<prefix><n>@example.io`, phones `+1555<n>`), returned in id order.
    func seedUsers(_ count: Int, prefix: String = "u", application: String? = nil) throws -> [String] {
        let app = try application ?? self.applicationID()
        let output = try self.platform.database.sql(
            """
            INSERT INTO audience.user_projection (application_id, user_id, email, phone, first_name, last_name, type, status, version,
                created_at, updated_at)
            SELECT '\(app)', gen_random_uuid(), '\(prefix)' || g || '@example.io', '+1555' || lpad(g::text, 7, '0'), 'First' || g,
                'Last' || g, 'user', 'active', 1, now() - make_interval(secs => g), now()
            FROM generate_series(1, \(count)) g
            RETURNING user_id
            """)
        return output.split(separator: "\n").map(String.init).sorted()
    }

    /// Creates a definition and returns its JSON.
    func define(_ body: [String: JSONValue]) async throws -> [String: Any] {
        let created = try await self.call(.POST, "/attribute-definitions", json: body)
        #expect(created.status == 201, "definition: \(created.text)")
        return created.json
    }

    /// Waits for a job to finish and returns its last state.
    func finish(_ jobPath: String, timeout: Duration = .seconds(120)) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try await eventually(timeout: timeout, every: .milliseconds(100)) {
            last = try await self.platform.request(.GET, self.platform.url(.audience) + jobPath).json
            return ["succeeded", "failed"].contains(last["status"] as? String ?? "")
        }
        return last
    }

    /// A second application and its admin key header.
    func otherApplication() async throws -> (id: String, key: [(String, String)]) {
        let created = try await self.platform.request(.POST, self.platform.url(.users) + "/api/v1/applications", json: ["name": "Other"])
        let id = try #require((created.json["application"] as? [String: Any])?["id"] as? String)
        let key = try #require((created.json["apiKey"] as? [String: Any])?["key"] as? String)
        return (id, [("Authorization", "Bearer \(key)")])
    }
}
