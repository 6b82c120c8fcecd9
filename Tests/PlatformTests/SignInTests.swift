import Foundation
import RosterProtocol
import RosterTestSupport
import Testing

/// Registration, sign-in, sessions, refresh rotation, lockouts, checks.
@Suite(.serialized) struct SignInTests {
    @Test func registerSignInRefreshAndSignOut() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            let id = try await accounts.register("ann@example.com", extra: ["username": "ann", "firstName": "Ann"])
            let duplicate = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/register", json: ["email": "ANN@example.com", "password": "correct horse 1"],
                authorized: false)
            #expect(duplicate.isProblem(409) && duplicate.json["code"] as? String == "duplicate_email")
            let weak = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/register", json: ["email": "weak@example.com", "password": "short"], authorized: false)
            #expect(weak.isProblem(422) && (weak.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "password")
            let typed = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/register",
                json: ["email": "x@example.com", "password": "correct horse 1", "type": "admin"], authorized: false)
            #expect(typed.isProblem(422), "nobody registers themselves as an admin")

            // By email and by username, case-insensitively.
            let byEmail = try await accounts.login("Ann@Example.com")
            #expect(byEmail.userID == id)
            let byUsername = try await accounts.login("ANN")
            #expect(byUsername.sessionID != byEmail.sessionID)
            let wrong = try await accounts.attempt("ann", password: "not the password")
            #expect(wrong.isProblem(401) && wrong.json["code"] as? String == "invalid_credentials")
            let nobody = try await accounts.attempt("nobody@example.com", password: "not the password")
            #expect(nobody.isProblem(401) && nobody.json["detail"] as? String == wrong.json["detail"] as? String)

            let me = try await accounts.asUser(byEmail, .GET, "/api/v1/me")
            #expect(me.status == 200 && me.json["username"] as? String == "ann" && me.json["lastLoginAt"] is String)
            #expect(me.json["password"] == nil && me.json["passwordHash"] == nil)

            // Refresh rotates. Presented again at once (two tabs, a retried request) the used token
            // gets a successor too; presented later it is a replay that ends the whole family.
            let rotated = try await accounts.refresh(byEmail.refreshToken)
            #expect(rotated.status == 200)
            let next = try Accounts.session(rotated)
            #expect(next.sessionID == byEmail.sessionID && next.refreshToken != byEmail.refreshToken)
            let sibling = try await accounts.refresh(byEmail.refreshToken)
            #expect(sibling.status == 200, "within the grace period")
            try platform.database.sql("UPDATE users.refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL")
            let reused = try await accounts.refresh(byEmail.refreshToken)
            #expect(reused.isProblem(401) && reused.json["code"] as? String == "refresh_token_reused")
            let afterReuse = try await accounts.refresh(next.refreshToken)
            #expect(afterReuse.isProblem(401), "the whole family is revoked")
            #expect(try await accounts.refresh(try Accounts.session(sibling).refreshToken).isProblem(401))
            #expect(try await accounts.refresh("rt_garbage").isProblem(401))

            // Sessions: list marks the current one; logout ends one, logout-all the rest.
            let third = try await accounts.login("ann")
            let sessions = try await accounts.asUser(third, .GET, "/api/v1/me/sessions?filter=%7B%22active%22%3Atrue%7D")
            let active = sessions.json["data"] as? [[String: Any]] ?? []
            #expect(active.count == 2 && active.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(try await accounts.asUser(byUsername, .DELETE, "/api/v1/me/sessions/\(third.sessionID)").status == 204)
            #expect(try await accounts.refresh(third.refreshToken).isProblem(401))
            #expect(try await accounts.asUser(byUsername, .POST, "/api/v1/auth/logout").status == 204)
            #expect(try await accounts.refresh(byUsername.refreshToken).isProblem(401))
            let fourth = try await accounts.login("ann")
            let fifth = try await accounts.login("ann")
            #expect(try await accounts.asUser(fourth, .POST, "/api/v1/auth/logout-all").status == 204)
            #expect(try await accounts.refresh(fifth.refreshToken).isProblem(401))
            #expect(try await accounts.asAdmin(.POST, "/api/v1/auth/logout").isProblem(403), "API keys have no session")
        }
    }

    @Test func lockoutEngagesPerAccountAndAddressAndExpires() async throws {
        let settings = [
            "ROSTER_AUTH_LOCKOUT_THRESHOLD": "3", "ROSTER_AUTH_ADDRESS_LOCKOUT_THRESHOLD": "3", "ROSTER_AUTH_LOCKOUT_BASE_SECONDS": "2",
            "ROSTER_AUTH_LOCKOUT_MAX_SECONDS": "60",
        ]
        try await withPlatform([.users], environment: settings) { platform in
            let accounts = Accounts(platform: platform)
            try await accounts.register("bob@example.com")
            for _ in 0..<3 { #expect(try await accounts.attempt("bob@example.com", password: "wrong password").isProblem(401)) }
            let locked = try await accounts.attempt("bob@example.com", password: "correct horse 1")
            #expect(locked.isProblem(429) && locked.json["code"] as? String == "sign_in_locked")
            #expect(Int(locked.header("Retry-After") ?? "") ?? 0 >= 1)

            let listed = try await accounts.asAdmin(.GET, "/api/v1/auth/lockouts?filter=%7B%22locked%22%3Atrue%7D")
            let records = listed.json["data"] as? [[String: Any]] ?? []
            #expect(Set(records.compactMap { $0["kind"] as? String }) == ["account", "address"])
            let bob = try platform.database.sql("SELECT id FROM users.users WHERE email = 'bob@example.com'")
            #expect(records.first { $0["kind"] as? String == "account" }?["subject"] as? String == "user:\(bob)")

            try await Task.sleep(for: .milliseconds(2300))
            let afterExpiry = try await accounts.attempt("bob@example.com", password: "correct horse 1")
            #expect(afterExpiry.status == 200, "the lock expired: \(afterExpiry.text)")

            // One more failure past the threshold locks again, for longer; an administrator clears it.
            for _ in 0..<3 { _ = try await accounts.attempt("bob@example.com", password: "wrong password") }
            #expect(try await accounts.attempt("bob@example.com", password: "correct horse 1").isProblem(429))
            let records2 = try await accounts.asAdmin(.GET, "/api/v1/auth/lockouts").json["data"] as? [[String: Any]] ?? []
            for record in records2 {
                #expect(try await accounts.asAdmin(.DELETE, "/api/v1/auth/lockouts/\(record["id"] as! String)").status == 204)
            }
            #expect(try await accounts.attempt("bob@example.com", password: "correct horse 1").status == 200)
            #expect(try await accounts.asAdmin(.DELETE, "/api/v1/auth/lockouts/\(EntityID.generate())").isProblem(404))
        }
    }

    /// Parallel guesses share one budget, every spelling of an account is one account, and
    /// password checks of signed-in users and back-ends count too.
    @Test func lockoutsCannotBeOutrunOrSidestepped() async throws {
        try await withPlatform([.users], environment: ["ROSTER_AUTH_LOCKOUT_THRESHOLD": "3", "ROSTER_AUTH_LOCKOUT_BASE_SECONDS": "60"]) {
            platform in
            let accounts = Accounts(platform: platform)
            try await accounts.register("zed@example.com", extra: ["username": "zed"])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await accounts.attempt("zed@example.com", password: "parallel guess").status }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.filter { $0 == 401 }.count <= 3, "at most the threshold was checked: \(statuses)")
            #expect(statuses.filter { $0 == 429 }.count >= 7)
            #expect(try await accounts.attempt("ZED", password: "correct horse 1").isProblem(429), "the username is the same account")
            #expect(try platform.database.count("SELECT count(*) FROM users.login_failures WHERE kind = 'account'") == 1)
            #expect(try platform.database.count("SELECT count(*) FROM users.login_failures WHERE subject LIKE '%guess%'") == 0)

            // A back-end's checks count against the end user's address it names (or its key), not its own.
            try await accounts.register("amy@example.com")
            for _ in 0..<3 {
                _ = try await accounts.asAdmin(
                    .POST, "/api/v1/auth/validate", json: ["email": "amy@example.com", "password": "wrong one", "clientAddress": "203.0.113.9"])
            }
            let locked = try await accounts.asAdmin(
                .POST, "/api/v1/auth/validate", json: ["email": "amy@example.com", "password": "correct horse 1", "clientAddress": "203.0.113.9"])
            #expect(locked.isProblem(429))
            #expect(try platform.database.count("SELECT count(*) FROM users.login_failures WHERE subject = '203.0.113.9'") == 1)

            // Guessing one's current password is limited the same way.
            try await accounts.register("max@example.com")
            try platform.database.sql("DELETE FROM users.login_failures WHERE kind = 'address'")
            let max = try await accounts.login("max@example.com")
            var answers: [Int] = []
            for _ in 0..<4 {
                answers.append(try await accounts.asUser(max, .POST, "/api/v1/me/password", json: ["currentPassword": "guess", "newPassword": "new password 1"]).status)
            }
            #expect(answers == [403, 403, 403, 429])
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfter() async throws {
        try await withPlatform([.users], environment: ["ROSTER_AUTH_EMAIL_CHECK_PER_MINUTE": "3", "ROSTER_AUTH_LOGIN_PER_MINUTE": "4"]) {
            platform in
            let accounts = Accounts(platform: platform)
            for _ in 0..<3 {
                let check = try await platform.request(
                    .POST, "\(accounts.base)/api/v1/auth/email-availability", json: ["email": "free@example.com"], authorized: false)
                #expect(check.status == 200 && check.json["available"] as? Bool == true && check.json["userId"] == nil)
            }
            let limited = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/email-availability", json: ["email": "free@example.com"], authorized: false)
            #expect(limited.isProblem(429) && limited.header("Retry-After") != nil)
            for _ in 0..<4 { _ = try await accounts.attempt("x@example.com", password: "whatever123") }
            #expect(try await accounts.attempt("x@example.com", password: "whatever123").isProblem(429))
        }
    }

    @Test func checksAnswerTheSameShapeForEveryone() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            let id = try await accounts.register("carol@example.com", extra: ["username": "carol"])
            let session = try await accounts.login("carol")

            let anonymous = try await platform.request(.GET, "\(accounts.base)/api/v1/auth/session", authorized: false)
            #expect(anonymous.status == 200 && anonymous.json["isAuthenticated"] as? Bool == false)
            let invalid = try await platform.request(
                .GET, "\(accounts.base)/api/v1/auth/session", headers: [("Authorization", "Bearer a.b.c")], authorized: false)
            #expect(invalid.status == 200 && invalid.json["isAuthenticated"] as? Bool == false)
            let user = try await accounts.asUser(session, .GET, "/api/v1/auth/session")
            #expect(user.json["isAuthenticated"] as? Bool == true && user.json["userId"] as? String == id)
            #expect(user.json["username"] as? String == "carol" && user.json["isStaff"] as? Bool == false)
            let key = try await accounts.asAdmin(.GET, "/api/v1/auth/session")
            #expect(key.json["isAuthenticated"] as? Bool == true && key.json["isSuperuser"] as? Bool == true)
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["type": "admin"])
            let admin = try await accounts.asUser(try await accounts.login("carol"), .GET, "/api/v1/auth/session")
            #expect(admin.json["isAdmin"] as? Bool == true && admin.json["isSuperuser"] as? Bool == false)

            // Email availability: the same keys for everyone; only staff learn who owns it.
            let public_ = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/email-availability", json: ["email": "CAROL@example.com"], authorized: false)
            let staff = try await accounts.asAdmin(.POST, "/api/v1/auth/email-availability", json: ["email": "carol@example.com"])
            #expect(public_.json["available"] as? Bool == false && public_.json["userId"] == nil)
            #expect(staff.json["available"] as? Bool == false && staff.json["userId"] as? String == id)
            #expect(Set(public_.json.keys).isSubset(of: Set(staff.json.keys)))
            #expect(try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/email-availability", json: ["email": "not-an-email"], authorized: false
            ).isProblem(422))

            // Back-end credential validation: API key only, counted like sign-ins.
            _ = try await accounts.asAdmin(.PATCH, "/api/v1/users/\(id)", json: ["type": "user"])
            let valid = try await accounts.asAdmin(.POST, "/api/v1/auth/validate", json: ["username": "carol", "password": "correct horse 1"])
            #expect(valid.json["valid"] as? Bool == true && valid.json["userId"] as? String == id)
            let invalidPassword = try await accounts.asAdmin(.POST, "/api/v1/auth/validate", json: ["username": "carol", "password": "nope nope"])
            #expect(invalidPassword.status == 200 && invalidPassword.json["valid"] as? Bool == false && invalidPassword.json["userId"] == nil)
            #expect(try await accounts.asUser(session, .POST, "/api/v1/auth/validate", json: ["username": "carol", "password": "x"]).isProblem(403))
            #expect(try await platform.request(.POST, "\(accounts.base)/api/v1/auth/validate", json: ["username": "carol", "password": "x"], authorized: false).isProblem(401))
        }
    }

    @Test func loginTokensAndPasswordChanges() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            let created = try await accounts.asAdmin(.POST, "/api/v1/users", json: ["firstName": "Vera"])
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["type"] as? String == "visitor" && created.json["hasLoginToken"] as? Bool == false)
            let issued = try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/login-token")
            #expect(issued.status == 201)
            let token = try #require(issued.json["token"] as? String)
            #expect(token.count == 40)
            let signedIn = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login/token", json: ["userId": id, "token": token], authorized: false)
            #expect(signedIn.status == 200 && (signedIn.json["user"] as? [String: Any])?["id"] as? String == id)
            let wrong = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login/token", json: ["userId": id, "token": String(repeating: "0", count: 40)],
                authorized: false)
            #expect(wrong.isProblem(401))
            _ = try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/login-token")
            let stale = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login/token", json: ["userId": id, "token": token], authorized: false)
            #expect(stale.isProblem(401), "a new token replaces the old one")

            // Changing the password needs the current one and ends the other sessions.
            try await accounts.register("dan@example.com", password: "first password")
            let first = try await accounts.login("dan@example.com", password: "first password")
            let second = try await accounts.login("dan@example.com", password: "first password")
            let refused = try await accounts.asUser(first, .POST, "/api/v1/me/password", json: ["currentPassword": "guess", "newPassword": "second password"])
            #expect(refused.isProblem(403) && (refused.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "currentPassword")
            let changed = try await accounts.asUser(
                first, .POST, "/api/v1/me/password", json: ["currentPassword": "first password", "newPassword": "second password"])
            #expect(changed.status == 204)
            #expect(try await accounts.refresh(second.refreshToken).isProblem(401), "other sessions ended")
            #expect(try await accounts.refresh(first.refreshToken).status == 200, "this session continues")
            #expect(try await accounts.attempt("dan@example.com", password: "first password").isProblem(401))
            #expect(try await accounts.attempt("dan@example.com", password: "second password").status == 200)
        }
    }
}
