import Foundation
import RosterProtocol
import RosterTestSupport
import Testing

/// Administration of users: the full model, lookups, replace, bans, status, force logout, /me.
@Suite(.serialized) struct AccountAdminTests {
    @Test func theFullUserModelAndItsRules() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            let full: [String: JSONValue] = [
                "email": "frank@example.com", "phone": "+1 (415) 555-0123", "username": "frank", "firstName": "Frank",
                "lastName": "Ocean", "profileImage": "https://example.com/f.png", "language": "pt-BR", "timezone": "Europe/Paris",
                "country": "FR", "city": "Paris", "department": "Sales", "sex": "male", "birthDate": "1990-02-28", "type": "agent",
                "emailVerified": true, "password": "correct horse 1",
            ]
            let created = try await accounts.asAdmin(.POST, "/api/v1/users", json: full)
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["phone"] as? String == "+14155550123" && created.json["birthDate"] as? String == "1990-02-28")
            #expect(created.json["hasPassword"] as? Bool == true && created.json["emailVerified"] as? Bool == true)
            #expect(created.json["password"] == nil)

            // Each field is checked; all failures come back together, naming the fields.
            let bad = try await accounts.asAdmin(
                .POST, "/api/v1/users",
                json: [
                    "email": "nope", "phone": "12", "username": "a b", "language": "english!", "timezone": "Mars/Olympus",
                    "sex": "unknown", "birthDate": "2999-01-01", "profileImage": "ftp://x", "password": "short",
                ])
            let fields = Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(bad.isProblem(422))
            #expect(fields == ["email", "phone", "username", "language", "timezone", "sex", "birthDate", "profileImage", "password"])
            #expect(try await accounts.asAdmin(.POST, "/api/v1/users", json: ["username": "FRANK"]).json["code"] as? String == "duplicate_username")
            #expect(try await accounts.asAdmin(.POST, "/api/v1/users", json: ["phone": "+14155550123"]).json["code"] as? String == "duplicate_phone")

            // Seed 003 defaults: a nameless visitor is "User #<number>".
            let visitor = try await accounts.asAdmin(.POST, "/api/v1/users", json: ["type": "visitor"])
            #expect(visitor.json["firstName"] as? String == "User")
            #expect((visitor.json["lastName"] as? String)?.hasPrefix("#") == true)

            // Lookup by field.
            for (field, value) in [("email", "FRANK@example.com"), ("phone", "+1 415 555 0123"), ("username", "Frank"), ("lastName", "ocean")] {
                let found = try await accounts.asAdmin(.GET, "/api/v1/users/by?field=\(field)&value=\(value.urlEncoded)")
                #expect(found.json["id"] as? String == id, "by \(field)")
            }
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/by?field=password&value=x").isProblem(400))
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/by?field=email&value=nobody%40x.io").isProblem(404))

            // PUT replaces: fields left out are cleared; a changed email is no longer verified.
            let replaced = try await accounts.asAdmin(.PUT, "/api/v1/users/\(id)", json: ["email": "frank@example.com", "type": "agent"])
            #expect(replaced.status == 200 && replaced.json["phone"] == nil && replaced.json["city"] == nil)
            #expect(replaced.json["emailVerified"] as? Bool == true, "the same email stays verified")
            let moved = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["email": "frank.o@example.com"])
            #expect(moved.json["emailVerified"] as? Bool == false)
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["email": "frank@example.com", "emailVerified": true] as [String: JSONValue])

            // Limits count what is stored, not what is displayed.
            let marks = "a" + String(repeating: "\u{301}", count: 5000)
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["firstName": marks]).isProblem(422))
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["birthDate": "1990--1-01"]).isProblem(422))
            let long = String(repeating: "é", count: 40)
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["password": long]).isProblem(422), "over 72 bytes")
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["status": "blocked"]).json["errors"].flatMap {
                ($0 as? [[String: Any]])?.first?["code"] as? String
            } == "use_ban")
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/\(id)?include=groups,tags").status == 200)
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/\(id)?include=secrets").isProblem(400))

            let lead = try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/convert-to-lead")
            #expect(lead.json["type"] as? String == "lead")

            // Audience's projection receives the new profile fields.
            let projected = try await eventually {
                try await platform.request(.GET, "\(platform.url(.audience))/api/v1/audience/users/\(id)").json["type"] as? String == "lead"
            }
            #expect(projected)
            let copy = try await platform.request(.GET, "\(platform.url(.audience))/api/v1/audience/users/\(id)")
            #expect(copy.json["emailVerified"] as? Bool == true && copy.json["phone"] == nil)
        }
    }

    @Test func aBanEndsSessionsAtOnceAndAccessWithinTheTokenLifetime() async throws {
        try await withPlatform([.users], environment: ["ROSTER_TOKENS_ACCESS_TTL_SECONDS": "2"]) { platform in
            let accounts = Accounts(platform: platform)
            let id = try await accounts.register("gina@example.com")
            let session = try await accounts.login("gina@example.com")
            #expect(try await accounts.asUser(session, .GET, "/api/v1/me").status == 200)

            let banned = try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/ban", json: ["reason": "Violation of terms of service"])
            #expect(banned.status == 200 && banned.json["status"] as? String == "blocked")
            #expect(banned.json["banReason"] as? String == "Violation of terms of service")
            let refresh = try await accounts.refresh(session.refreshToken)
            #expect(refresh.isProblem(401), "refresh fails at once")
            let login = try await accounts.attempt("gina@example.com", password: "correct horse 1")
            #expect(login.isProblem(403) && login.json["code"] as? String == "account_banned")
            #expect((login.json["detail"] as? String)?.contains("Violation of terms") == true)
            let status = try await accounts.asAdmin(.GET, "/api/v1/users/\(id)/status")
            #expect(status.json["status"] as? String == "blocked" && status.json["lastLoginAt"] is String && status.json["joinedAt"] is String)

            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await accounts.asUser(session, .GET, "/api/v1/me").isProblem(401), "the access token has expired")

            let unbanned = try await accounts.asAdmin(.DELETE, "/api/v1/users/\(id)/ban")
            #expect(unbanned.json["status"] as? String == "active" && unbanned.json["banReason"] == nil)
            let again = try await accounts.login("gina@example.com")
            let other = try await accounts.login("gina@example.com")
            let forced = try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/force-logout")
            #expect(forced.json["revokedSessions"] as? Int == 2)
            #expect(try await accounts.refresh(again.refreshToken).isProblem(401))
            #expect(try await accounts.refresh(other.refreshToken).isProblem(401))
            let listed = try await accounts.asAdmin(.GET, "/api/v1/users/\(id)/sessions")
            let reasons = Set((listed.json["data"] as? [[String: Any]] ?? []).compactMap { $0["revokedReason"] as? String })
            #expect(reasons == ["banned", "forced_logout"])

            // A password set or a type changed by an administrator ends the sessions too.
            let beforeReset = try await accounts.login("gina@example.com")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["password": "reset by admin 1"])
            #expect(try await accounts.refresh(beforeReset.refreshToken).isProblem(401))
            let beforePromotion = try await accounts.login("gina@example.com", password: "reset by admin 1")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["type": "agent"])
            #expect(try await accounts.refresh(beforePromotion.refreshToken).isProblem(401))
            let unchanged = try await accounts.login("gina@example.com", password: "reset by admin 1")
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["city": "Oslo"])
            #expect(try await accounts.refresh(unchanged.refreshToken).status == 200, "other changes keep sessions")
        }
    }

    @Test func usersChangeOnlyThemselves() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            let id = try await accounts.register("hank@example.com")
            let other = try await accounts.register("ivy@example.com")
            let hank = try await accounts.login("hank@example.com")

            // The email changes only through its confirmation (VerificationTests); the current one may be sent back.
            let newEmail = try await accounts.asUser(hank, .PATCH, "/api/v1/me", json: ["city": "Lyon", "email": "hank2@example.com"])
            #expect(newEmail.isProblem(422) && (newEmail.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "confirmation_required")
            let updated = try await accounts.asUser(hank, .PATCH, "/api/v1/me", json: ["city": "Lyon", "email": "HANK@example.com"])
            #expect(updated.status == 200 && updated.json["city"] as? String == "Lyon")
            let elevate = try await accounts.asUser(hank, .PATCH, "/api/v1/me", json: ["type": "admin", "status": "active"])
            #expect(elevate.isProblem(422))
            #expect(Set((elevate.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }) == ["not_editable"])

            let language = try await accounts.asUser(hank, .PUT, "/api/v1/me/language", json: ["language": "es"])
            #expect(language.json["language"] as? String == "es")
            let preferences: [String: JSONValue] = [
                "language": "fr", "categories": ["fashion", "beauty", "fashion"], "networks": ["instagram"],
                "privacy": ["profilePublic": false, "showEarnings": false, "showCampaigns": true],
            ]
            let stored = try await accounts.asUser(hank, .PUT, "/api/v1/me/preferences", json: preferences)
            #expect(stored.json["categories"] as? [String] == ["fashion", "beauty"] && stored.json["language"] as? String == "fr")
            #expect((try await accounts.asUser(hank, .GET, "/api/v1/me").json["language"]) as? String == "fr")
            #expect(try await accounts.asUser(hank, .PUT, "/api/v1/me/preferences", json: ["categories": [String]()]).isProblem(400))
            var withNUL = preferences
            withNUL["categories"] = ["a\u{0}b"]
            let nul = try await accounts.asUser(hank, .PUT, "/api/v1/me/preferences", json: withNUL)
            #expect(nul.status >= 400 && nul.status < 500, "\(nul.status)")

            // A user is not staff: other users and administration are out of reach.
            #expect(try await accounts.asUser(hank, .GET, "/api/v1/users/\(id)").status == 200)
            #expect(try await accounts.asUser(hank, .GET, "/api/v1/users/\(other)").isProblem(404))
            #expect(try await accounts.asUser(hank, .GET, "/api/v1/users").isProblem(403))
            #expect(try await accounts.asUser(hank, .PATCH, "/api/v1/users/\(id)", json: ["type": "admin"]).isProblem(403))
            #expect(try await accounts.asUser(hank, .POST, "/api/v1/users/\(other)/ban", json: ["reason": "x"]).isProblem(403))
            #expect(try await accounts.asUser(hank, .GET, "/api/v1/api-keys").isProblem(403))
            #expect(try await accounts.asUser(hank, .GET, "/api/v1/applications").isProblem(403))

            // Agents are staff: they read users but do not change them.
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["type": "agent"])
            let agent = try await accounts.login("hank@example.com")
            #expect(try await accounts.asUser(agent, .GET, "/api/v1/users").status == 200)
            #expect(try await accounts.asUser(agent, .GET, "/api/v1/users/\(other)/status").status == 200)
            #expect(try await accounts.asUser(agent, .DELETE, "/api/v1/users/\(other)").isProblem(403))
            #expect(try await accounts.asUser(agent, .GET, "/api/v1/auth/session").json["isStaff"] as? Bool == true)
        }
    }
}

extension String {
    var urlEncoded: String {
        self.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self
    }
}
