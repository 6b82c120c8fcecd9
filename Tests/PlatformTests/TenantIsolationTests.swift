import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Application A's key and A's users can neither read nor change anything of application B.
@Suite(.serialized) struct TenantIsolationTests {
    @Test func noEndpointCrossesApplications() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            let base = accounts.base

            // Application B with a user who signed in, a lock, and a key of its own.
            let created = try await accounts.asAdmin(.POST, "/api/v1/applications", json: ["name": "B"])
            let b = try #require((created.json["application"] as? [String: Any])?["id"] as? String)
            let bKey = [("Authorization", "Bearer \(try #require((created.json["apiKey"] as? [String: Any])?["key"] as? String))")]
            let bUser = try #require(try await platform.request(
                .POST, "\(base)/api/v1/auth/register", json: ["email": "b@b.io", "username": "bee", "password": "correct horse 1", "applicationId": b],
                authorized: false
            ).json["id"] as? String)
            let bSession = try Accounts.session(
                try await accounts.attempt("bee", password: "correct horse 1", extra: ["applicationId": b]))
            _ = try await accounts.attempt("bee", password: "wrong password", extra: ["applicationId": b])
            let bLockout = try #require(
                (try await platform.request(.GET, "\(base)/api/v1/auth/lockouts", headers: bKey, authorized: false).json["data"] as? [[String: Any]])?
                    .first?["id"] as? String)
            let bKeyID = try #require(
                (try await platform.request(.GET, "\(base)/api/v1/api-keys", headers: bKey, authorized: false).json["data"] as? [[String: Any]])?
                    .first?["id"] as? String)
            let bBefore = try platform.database.sql("SELECT row_to_json(u)::text FROM users.users u WHERE id = '\(bUser)'")

            // Application A: its admin key (the platform's) and one of its admin users.
            let aUser = try await accounts.register("a@a.io", extra: ["username": "ayy"])
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(aUser)", json: ["type": "admin"])
            let aAdmin = try await accounts.login("ayy")

            let attempts: [(HTTPMethod, String, [String: JSONValue]?)] = [
                (.GET, "/api/v1/users/\(bUser)", nil), (.PUT, "/api/v1/users/\(bUser)", ["firstName": "Mallory"]),
                (.PATCH, "/api/v1/users/\(bUser)", ["firstName": "Mallory"]), (.DELETE, "/api/v1/users/\(bUser)", nil),
                (.GET, "/api/v1/users/by?field=email&value=b%40b.io", nil), (.GET, "/api/v1/users/by?field=username&value=bee", nil),
                (.POST, "/api/v1/users/\(bUser)/ban", ["reason": "x"]), (.DELETE, "/api/v1/users/\(bUser)/ban", nil),
                (.GET, "/api/v1/users/\(bUser)/status", nil), (.POST, "/api/v1/users/\(bUser)/force-logout", nil),
                (.GET, "/api/v1/users/\(bUser)/sessions", nil), (.POST, "/api/v1/users/\(bUser)/convert-to-lead", nil),
                (.POST, "/api/v1/users/\(bUser)/login-token", nil), (.DELETE, "/api/v1/api-keys/\(bKeyID)", nil),
                (.DELETE, "/api/v1/auth/lockouts/\(bLockout)", nil), (.DELETE, "/api/v1/me/sessions/\(bSession.sessionID)", nil),
            ]
            for (method, path, body) in attempts {
                let withKey = try await platform.request(method, base + path, json: body)
                #expect(withKey.status == 404 || (path.hasPrefix("/api/v1/me") && withKey.status == 403), "A's key: \(method) \(path) → \(withKey.status)")
                let withUser = try await platform.request(method, base + path, json: body, headers: [aAdmin.bearer], authorized: false)
                #expect(withUser.status == 404, "A's admin user: \(method) \(path) → \(withUser.status)")
            }
            let audience = try await platform.request(.GET, "\(platform.url(.audience))/api/v1/audience/users/\(bUser)")
            #expect(audience.isProblem(404))

            // Lists and checks of A show nothing of B.
            for path in ["/api/v1/users", "/api/v1/api-keys", "/api/v1/auth/lockouts"] {
                for headers in [[(String, String)](), [aAdmin.bearer]] {
                    let list = try await platform.request(.GET, base + path + "?limit=100", headers: headers, authorized: headers.isEmpty)
                    #expect(list.status == 200 && !list.text.contains(bUser) && !list.text.contains(bKeyID) && !list.text.contains("b@b.io"))
                }
            }
            let validate = try await accounts.asAdmin(.POST, "/api/v1/auth/validate", json: ["username": "bee", "password": "correct horse 1"])
            #expect(validate.json["valid"] as? Bool == false)
            let email = try await accounts.asAdmin(.POST, "/api/v1/auth/email-availability", json: ["email": "b@b.io"])
            #expect(email.json["available"] as? Bool == true && email.json["userId"] == nil)
            #expect(try await accounts.attempt("bee", password: "correct horse 1").isProblem(401), "B's user cannot sign in to A")

            // B is untouched.
            #expect(try platform.database.sql("SELECT row_to_json(u)::text FROM users.users u WHERE id = '\(bUser)'") == bBefore)
            #expect(try await platform.request(.GET, "\(base)/api/v1/users/\(bUser)", headers: bKey, authorized: false).status == 200)
            #expect(try await accounts.refresh(bSession.refreshToken).status == 200)
        }
    }
}
