import Foundation
import RosterProtocol
import RosterTestSupport
import Testing

/// API keys per application, and applications managed by superusers.
@Suite(.serialized) struct APIKeyAndApplicationTests {
    /// Revocation and suspension take effect within the API-key cache time; the cache is off here.
    static let noCache = ["ROSTER_AUTH_API_KEY_CACHE_SECONDS": "0"]

    @Test func keysAreShownOnceListedByPrefixAndRevocable() async throws {
        try await withPlatform([.users, .audience], environment: Self.noCache) { platform in
            let accounts = Accounts(platform: platform)
            let created = try await accounts.asAdmin(.POST, "/api/v1/api-keys", json: ["name": "crm sync"])
            #expect(created.status == 201)
            let key = try #require(created.json["key"] as? String)
            let id = try #require(created.json["id"] as? String)
            #expect(key.hasPrefix("rk_\(created.json["prefix"] as! String)_") && created.json["scope"] as? String == "admin")

            let viaKey = try await platform.request(.GET, "\(accounts.base)/api/v1/users", headers: [("Authorization", "Bearer \(key)")], authorized: false)
            #expect(viaKey.status == 200)
            let listed = try await accounts.asAdmin(.GET, "/api/v1/api-keys").json["data"] as? [[String: Any]] ?? []
            let record = try #require(listed.first { $0["id"] as? String == id })
            #expect(record["key"] == nil && record["lastUsedAt"] is String && record["name"] as? String == "crm sync")
            #expect(listed.count == 2)

            // The key may not revoke itself; another admin key revokes it, everywhere within the cache time.
            let own = try await platform.request(.DELETE, "\(accounts.base)/api/v1/api-keys/\(id)", headers: [("Authorization", "Bearer \(key)")], authorized: false)
            #expect(own.isProblem(409))
            #expect(try await accounts.asAdmin(.DELETE, "/api/v1/api-keys/\(id)").status == 204)
            #expect(try await platform.request(.GET, "\(accounts.base)/api/v1/users", headers: [("Authorization", "Bearer \(key)")], authorized: false).isProblem(401))
            #expect(try await accounts.asAdmin(.GET, "/api/v1/api-keys?revoked=true").json["pagination"].flatMap { ($0 as? [String: Any])?["total"] as? Int } == 1)
            #expect(try await accounts.asAdmin(.POST, "/api/v1/api-keys", json: ["name": ""]).isProblem(422))

            // An application administrator cannot revoke the platform's superuser key.
            let superuserKey = try platform.database.sql("SELECT id FROM users.api_keys WHERE scope = 'superuser'")
            let adminID = try await accounts.register("root@example.com")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(adminID)", json: ["type": "admin"])
            let admin = try await accounts.login("root@example.com")
            #expect(try await accounts.asUser(admin, .DELETE, "/api/v1/api-keys/\(superuserKey)").isProblem(403))
        }
    }

    @Test func superusersManageApplications() async throws {
        try await withPlatform([.users], environment: Self.noCache) { platform in
            let accounts = Accounts(platform: platform)
            let created = try await accounts.asAdmin(.POST, "/api/v1/applications", json: ["name": "Shop"])
            #expect(created.status == 201)
            let application = try #require(created.json["application"] as? [String: Any])
            let appID = try #require(application["id"] as? String)
            let key = try #require((created.json["apiKey"] as? [String: Any])?["key"] as? String)
            let shop = [("Authorization", "Bearer \(key)")]

            // The new application's admin key works in its own tenant, but is no superuser.
            let user = try await platform.request(.POST, "\(accounts.base)/api/v1/users", json: ["email": "shop@example.com"], headers: shop, authorized: false)
            #expect(user.status == 201)
            #expect(try await platform.request(.GET, "\(accounts.base)/api/v1/applications", headers: shop, authorized: false).isProblem(403))
            let list = try await accounts.asAdmin(.GET, "/api/v1/applications")
            #expect((list.json["pagination"] as? [String: Any])?["total"] as? Int == 2)

            // Sign-up and sign-in name their application.
            let registered = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/register",
                json: ["email": "buyer@example.com", "password": "correct horse 1", "applicationId": appID], authorized: false)
            #expect(registered.status == 201)
            #expect(try await accounts.attempt("buyer@example.com", password: "correct horse 1").isProblem(401), "not in the default application")
            #expect(try await accounts.attempt("buyer@example.com", password: "correct horse 1", extra: ["applicationId": appID]).status == 200)

            // Suspending stops its keys and sign-ins; reactivating restores them.
            let suspended = try await accounts.asAdmin(.PATCH, "/api/v1/applications/\(appID)", json: ["status": "suspended", "name": "Shop (closed)"])
            #expect(suspended.json["status"] as? String == "suspended" && suspended.json["name"] as? String == "Shop (closed)")
            #expect(try await platform.request(.GET, "\(accounts.base)/api/v1/users", headers: shop, authorized: false).isProblem(401))
            let closed = try await accounts.attempt("buyer@example.com", password: "correct horse 1", extra: ["applicationId": appID])
            #expect(closed.isProblem(422) && closed.json["code"] as? String == "validation_error")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/applications/\(appID)", json: ["status": "active"])
            #expect(try await platform.request(.GET, "\(accounts.base)/api/v1/users", headers: shop, authorized: false).status == 200)

            let own = try platform.database.sql("SELECT id FROM users.applications WHERE is_default")
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/applications/\(own)", json: ["status": "suspended"]).isProblem(409))
            #expect(try await accounts.asAdmin(.GET, "/api/v1/applications/\(EntityID.generate())").isProblem(404))
        }
    }
}
