import Foundation
import RosterProtocol
import RosterTestSupport
import Testing

/// Sign-in by cookie: HttpOnly cookies instead of tokens, CSRF on every mutation — in users
/// and in the other services, which verify the same cookie locally.
@Suite(.serialized) struct BrowserModeTests {
    static func cookies(_ result: HTTPResult) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in result.headers[canonicalForm: "Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return cookies
    }

    @Test func cookieSessionsNeedCSRFOnMutations() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            try await accounts.register("eve@example.com")
            let login = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login",
                json: ["email": "eve@example.com", "password": "correct horse 1", "mode": "cookie"], authorized: false)
            #expect(login.status == 200 && login.json["accessToken"] == nil && login.json["refreshToken"] == nil)
            let setCookies = login.headers[canonicalForm: "Set-Cookie"].map(String.init)
            #expect(setCookies.count == 2 && setCookies.allSatisfy { $0.contains("HttpOnly") && $0.contains("Secure") && $0.contains("SameSite=Strict") })
            #expect(setCookies.contains { $0.hasPrefix("roster_refresh=") && $0.contains("Path=/api/v1/auth") })
            let cookies = Self.cookies(login)
            let csrf = try #require(login.json["csrfToken"] as? String)
            let cookie = ("Cookie", "roster_access=\(cookies["roster_access"]!); roster_refresh=\(cookies["roster_refresh"]!)")

            let me = try await platform.request(.GET, "\(accounts.base)/api/v1/me", headers: [cookie], authorized: false)
            #expect(me.status == 200 && me.json["email"] as? String == "eve@example.com")
            let noCSRF = try await platform.request(
                .PATCH, "\(accounts.base)/api/v1/me", json: ["firstName": "Eve"], headers: [cookie], authorized: false)
            #expect(noCSRF.isProblem(403) && noCSRF.json["code"] as? String == "csrf_token_invalid")
            let badCSRF = try await platform.request(
                .PATCH, "\(accounts.base)/api/v1/me", json: ["firstName": "Eve"], headers: [cookie, ("X-CSRF-Token", "forged")], authorized: false)
            #expect(badCSRF.isProblem(403))
            let withCSRF = try await platform.request(
                .PATCH, "\(accounts.base)/api/v1/me", json: ["firstName": "Eve"], headers: [cookie, ("X-CSRF-Token", csrf)], authorized: false)
            #expect(withCSRF.status == 200 && withCSRF.json["firstName"] as? String == "Eve")
            let fetched = try await platform.request(.GET, "\(accounts.base)/api/v1/auth/csrf", headers: [cookie], authorized: false)
            #expect(fetched.json["csrfToken"] as? String == csrf)

            // Another service honours the same cookie and CSRF rule (here: read allowed, 403 as a non-admin).
            let audience = try await platform.request(
                .GET, "\(platform.url(.audience))/api/v1/audience/users/\(EntityID.generate())", headers: [cookie], authorized: false)
            #expect(audience.isProblem(403))

            // Refresh by cookie needs the CSRF token too, and rotates both cookies.
            let refreshWithout = try await platform.request(.POST, "\(accounts.base)/api/v1/auth/refresh", headers: [cookie], authorized: false)
            #expect(refreshWithout.isProblem(403))
            let refreshed = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/refresh", headers: [cookie, ("X-CSRF-Token", csrf)], authorized: false)
            #expect(refreshed.status == 200 && refreshed.json["csrfToken"] as? String == csrf)
            #expect(Self.cookies(refreshed)["roster_refresh"] != cookies["roster_refresh"])

            let renewed = Self.cookies(refreshed)
            let newCookie = ("Cookie", "roster_access=\(renewed["roster_access"]!); roster_refresh=\(renewed["roster_refresh"]!)")
            let logout = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/logout", headers: [newCookie, ("X-CSRF-Token", csrf)], authorized: false)
            #expect(logout.status == 204)
            #expect(logout.headers[canonicalForm: "Set-Cookie"].allSatisfy { $0.contains("Max-Age=0") })
            let afterLogout = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/refresh", headers: [newCookie, ("X-CSRF-Token", csrf)], authorized: false)
            #expect(afterLogout.isProblem(401))
        }
    }

    /// After the access cookie has expired, the refresh cookie and the CSRF token still refresh
    /// and sign out; another session's CSRF token does not.
    @Test func anExpiredAccessCookieStillRefreshesAndSignsOut() async throws {
        try await withPlatform([.users]) { platform in
            let accounts = Accounts(platform: platform)
            try await accounts.register("fay@example.com")
            func cookieLogin() async throws -> (refresh: String, csrf: String) {
                let login = try await platform.request(
                    .POST, "\(accounts.base)/api/v1/auth/login",
                    json: ["email": "fay@example.com", "password": "correct horse 1", "mode": "cookie"], authorized: false)
                return (Self.cookies(login)["roster_refresh"]!, login.json["csrfToken"] as! String)
            }
            let first = try await cookieLogin()
            let second = try await cookieLogin()
            let onlyRefresh = ("Cookie", "roster_refresh=\(first.refresh)")
            let wrongCSRF = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/refresh", headers: [onlyRefresh, ("X-CSRF-Token", second.csrf)], authorized: false)
            #expect(wrongCSRF.isProblem(403), "another session's CSRF token")
            let refreshed = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/refresh", headers: [onlyRefresh, ("X-CSRF-Token", first.csrf)], authorized: false)
            #expect(refreshed.status == 200, "the refused attempt changed nothing: \(refreshed.text)")
            let rotated = ("Cookie", "roster_refresh=\(Self.cookies(refreshed)["roster_refresh"]!)")
            #expect(try await platform.request(.POST, "\(accounts.base)/api/v1/auth/logout", headers: [rotated], authorized: false).isProblem(403))
            let out = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/logout", headers: [rotated, ("X-CSRF-Token", first.csrf)], authorized: false)
            #expect(out.status == 204)
            #expect(try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/refresh", headers: [rotated, ("X-CSRF-Token", first.csrf)], authorized: false
            ).isProblem(401))
            #expect(try await platform.request(.POST, "\(accounts.base)/api/v1/auth/logout", authorized: false).isProblem(401))
        }
    }
}
