import Foundation
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Secrets exist only as hashes, and appear in no response after creation and in no log line.
@Suite(.serialized) struct SecretsTests {
    @Test func aFullSignInFlowLeavesNoSecretBehind() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let accounts = Accounts(platform: platform)
            var secrets: [String] = [platform.apiKey]
            let password = "Tr0ub4dor&3-very-secret"
            secrets.append(password)
            let id = try await accounts.register("kim@example.com", password: password, extra: ["username": "kim"])
            let first = try await accounts.login("kim", password: password)
            secrets += [first.accessToken, first.refreshToken]
            let refreshed = try Accounts.session(try await accounts.refresh(first.refreshToken))
            secrets += [refreshed.accessToken, refreshed.refreshToken]
            let cookieLogin = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login", json: ["email": "kim@example.com", "password": password, "mode": "cookie"],
                authorized: false)
            for header in cookieLogin.headers[canonicalForm: "Set-Cookie"] {
                secrets.append(String(header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)[1]))
            }
            let loginToken = try #require(try await accounts.asAdmin(.POST, "/api/v1/users/\(id)/login-token").json["token"] as? String)
            secrets.append(loginToken)
            let tokenSession = try await platform.request(
                .POST, "\(accounts.base)/api/v1/auth/login/token", json: ["userId": id, "token": loginToken], authorized: false)
            secrets += [tokenSession.json["accessToken"] as! String, tokenSession.json["refreshToken"] as! String]
            let apiKey = try #require(try await accounts.asAdmin(.POST, "/api/v1/api-keys", json: ["name": "flow"]).json["key"] as? String)
            secrets.append(apiKey)
            let newPassword = "correct-horse-battery-staple-2"
            secrets.append(newPassword)
            #expect(try await accounts.asUser(refreshed, .POST, "/api/v1/me/password", json: ["currentPassword": password, "newPassword": newPassword]).status == 204)
            _ = try await accounts.attempt("kim", password: "a wrong guess that is also secret")
            secrets.append("a wrong guess that is also secret")
            _ = try await accounts.asAdmin(.POST, "/api/v1/auth/validate", json: ["username": "kim", "password": newPassword])
            _ = try await accounts.asUser(refreshed, .POST, "/api/v1/auth/logout")

            // No later response shows a secret.
            let later = [
                try await accounts.asAdmin(.GET, "/api/v1/users/\(id)"), try await accounts.asAdmin(.GET, "/api/v1/users"),
                try await accounts.asAdmin(.GET, "/api/v1/api-keys"), try await accounts.asAdmin(.GET, "/api/v1/users/\(id)/sessions"),
                try await accounts.asAdmin(.GET, "/api/v1/auth/lockouts"),
            ]
            for response in later {
                for secret in secrets { #expect(!response.text.contains(secret), "a response shows a secret") }
            }

            // The tables hold hashes only.
            let dump = try Shell.run(
                ["pg_dump", "--data-only", "--schema=users", "-h", platform.database.host, "-p", "\(platform.database.port)", "-U", "postgres",
                 platform.database.name],
                environment: ["PGPASSWORD": try DatabaseURL(TestEnvironment.postgresURL).password ?? ""])
            #expect(dump.contains("kim@example.com"), "the dump is real")
            for secret in secrets { #expect(!dump.contains(secret), "a table holds a secret in plain text") }
            #expect(try platform.database.sql("SELECT left(password_hash, 4) FROM users.users WHERE id = '\(id)'") == "$2b$")
            #expect(try platform.database.sql("SELECT DISTINCT length(token_hash) FROM users.refresh_tokens") == "32")
            #expect(try platform.database.sql("SELECT length(login_token_hash) FROM users.users WHERE id = '\(id)'") == "32")
            #expect(try platform.database.sql("SELECT DISTINCT length(secret_hash) FROM users.api_keys") == "32")
            #expect(try platform.database.count("SELECT count(*) FROM audience.user_projection WHERE user_id = '\(id)'") == 1)

            // No log line of any service holds one either (stopped first: a service writes its
            // lines from a thread of its own and flushes them as it exits).
            for (service, sign) in [(ServiceName.users, "/api/v1/auth/login"), (.audience, "/internal/v1/events")] {
                try await platform.process(service).stop()
                let log = platform.process(service).log()
                #expect(log.contains(sign), "the log is real")
                for secret in secrets { #expect(!log.contains(secret), "\(service)'s log holds a secret") }
            }
        }
    }
}
