import Foundation
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Verification codes (issue 7, seeds 001 and 004): registration → an email with a code
/// (delivered by notification to a real SMTP server on loopback) → the code verifies the
/// address; forgot → reset; email change; phone by SMS to the dev mailbox; the admin API;
/// attempts, expiry, single use, supersession; no code or token stored, answered or logged;
/// notification or verification down → the code arrives once when they return.
@Suite(.serialized) struct VerificationTests {
    static let linkURL = "https://app.example.io/verify"

    /// The four services with an SMTP sink and a link URL.
    static func withVerification(_ body: (TestPlatform, Sink) async throws -> Void) async throws {
        let smtp = try Sink(.mail)
        try await smtp.start()
        let environment = [
            "ROSTER_SMTP_HOST": "127.0.0.1", "ROSTER_SMTP_PORT": "\(smtp.port)", "ROSTER_SMTP_SECURITY": "none",
            "ROSTER_VERIFICATION_LINK_URL": Self.linkURL,
        ]
        try await withPlatform(environment: environment) { platform in try await body(platform, smtp) }
        smtp.stop()
    }

    /// The emails `to` has received so far.
    static func mails(to address: String, in smtp: Sink) -> [[String: Any]] {
        smtp.received().filter { ($0["to"] as? [String]) == [address] }
    }

    /// Waits for the `count`-th email to `address`; its code and link token.
    static func code(to address: String, count: Int = 1, in smtp: Sink) async throws -> (code: String, token: String, mail: [String: Any]) {
        let arrived = await eventually(timeout: .seconds(60), every: .milliseconds(100)) { Self.mails(to: address, in: smtp).count >= count }
        #expect(arrived, "no email #\(count) to \(address)")
        let mail = try #require(Self.mails(to: address, in: smtp).dropFirst(count - 1).first)
        let text = try #require(mail["text"] as? String)
        let code = try #require(text.firstMatch(of: /is (\d{6})/)?.output.1)
        let token = try #require(text.firstMatch(of: /token=([A-Za-z0-9._~-]+)/)?.output.1)
        #expect(text.contains(Self.linkURL + "?type="), "\(text)")
        return (String(code), String(token), mail)
    }

    /// A request to the verification service's admin API (API key).
    static func admin(_ platform: TestPlatform, _ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil, headers: [(String, String)] = [])
        async throws -> HTTPResult
    {
        try await platform.request(method, platform.url(.verification) + "/api/v1" + path, json: json, headers: headers)
    }

    /// A public request to the users service.
    static func post(_ platform: TestPlatform, _ path: String, _ json: [String: String]) async throws -> HTTPResult {
        try await platform.request(.POST, platform.url(.users) + "/api/v1" + path, json: json, authorized: false)
    }

    /// The tables of any service with a row whose text holds one of `secrets` (long enough not
    /// to occur by chance).
    static func tablesHolding(_ secrets: [String], platform: TestPlatform) throws -> [String] {
        let tables = try platform.database.sql(
            """
            SELECT table_schema || '.' || table_name FROM information_schema.tables
            WHERE table_schema IN ('users', 'audience', 'verification', 'notification') AND table_type = 'BASE TABLE'
            """
        ).split(separator: "\n").map(String.init)
        #expect(tables.count > 20)
        let anySecret = secrets.map { "position('\($0)' IN t::text) > 0" }.joined(separator: " OR ")
        let counts = tables.map { "SELECT '\($0)', count(*) FROM \($0) t WHERE \(anySecret)" }.joined(separator: " UNION ALL ")
        return try platform.database.sql(counts).split(separator: "\n").filter { !$0.hasSuffix("|0") }.map(String.init)
    }

    @Test func registrationCodesAndTheAdminAPI() async throws {
        try await Self.withVerification { platform, smtp in
            let accounts = Accounts(platform: platform)
            let ann = try await accounts.register("ann@example.io", extra: ["username": "ann", "firstName": "Ann"])

            // Register → the code arrives by email; it verifies the address (signed out, with the email).
            let first = try await Self.code(to: "ann@example.io", in: smtp)
            #expect((first.mail["subject"] as? String)?.hasPrefix("Your verification code") == true)
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "ann@example.io", "code": "000000"]).isProblem(422) || first.code == "000000")
            let verified = try await Self.post(platform, "/auth/email/verify", ["email": "ann@example.io", "code": first.code])
            #expect(verified.status == 200 && verified.json["emailVerified"] as? Bool == true && verified.json["userId"] as? String == ann, "\(verified.text)")
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/\(ann)").json["emailVerified"] as? Bool == true)
            // Used: refused, like the token of the same request.
            let again = try await Self.post(platform, "/auth/email/verify", ["email": "ann@example.io", "code": first.code])
            #expect(again.isProblem(422) && again.json["code"] as? String == "invalid_code")
            #expect(try await Self.post(platform, "/auth/email/verify", ["token": first.token]).isProblem(422))
            // user.updated reached verification's copy.
            #expect(try await eventually(timeout: .seconds(20)) {
                try platform.database.count("SELECT count(*) FROM verification.known_users WHERE email = 'ann@example.io' AND email_verified") == 1
            })

            // Five wrong codes lock the request; the right one is refused after.
            let bob = try await accounts.register("bob@example.io", extra: ["username": "bobby"])
            let bobCode = try await Self.code(to: "bob@example.io", in: smtp)
            let wrong = String(format: "%06d", (Int(bobCode.code)! + 1) % 1_000_000)
            for _ in 0..<5 {
                let answer = try await Self.post(platform, "/auth/email/verify", ["email": "bob@example.io", "code": wrong])
                #expect(answer.isProblem(422) && answer.json["code"] as? String == "invalid_code")
            }
            #expect(try platform.database.sql("SELECT status || '/' || attempts FROM verification.verification_requests WHERE user_id = '\(bob)'") == "locked/5")
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "bob@example.io", "code": bobCode.code]).isProblem(422))
            #expect(try await Self.post(platform, "/auth/email/verify", ["token": bobCode.token]).isProblem(422))
            // An unknown email answers exactly like a wrong code.
            let nobody = try await Self.post(platform, "/auth/email/verify", ["email": "nobody@example.io", "code": bobCode.code])
            #expect(nobody.status == 422 && nobody.json["detail"] as? String == again.json["detail"] as? String)
            for bad in [["email": "bob@example.io", "code": "12345"], ["email": "bob@example.io"], ["code": "123456"], ["code": "123456", "token": "x"]] {
                #expect(try await Self.post(platform, "/auth/email/verify", bad).isProblem(422), "\(bad)")
            }

            // Resend (signed in) supersedes the first code; the link token of the new one works; a
            // second resend within the cool-down is a 429.
            _ = try await accounts.register("carol@example.io", extra: ["firstName": "Carol", "lastName": "Ng"])
            let carolFirst = try await Self.code(to: "carol@example.io", in: smtp)
            let carol = try await accounts.login("carol@example.io")
            try platform.database.sql("UPDATE verification.verification_requests SET created_at = now() - interval '2 minutes'")
            let resent = try await accounts.asUser(carol, .POST, "/api/v1/auth/email/verification")
            #expect(resent.status == 202 && resent.json["type"] as? String == "REGR" && resent.json["code"] == nil, "\(resent.text)")
            let limited = try await accounts.asUser(carol, .POST, "/api/v1/auth/email/verification")
            #expect(limited.isProblem(429) && limited.header("Retry-After") != nil && limited.json["code"] as? String == "resend_cooldown", "\(limited.text)")
            let carolSecond = try await Self.code(to: "carol@example.io", count: 2, in: smtp)
            #expect(carolSecond.code != carolFirst.code || carolSecond.token != carolFirst.token)
            #expect(try await accounts.asUser(carol, .POST, "/api/v1/auth/email/verify", json: ["code": carolFirst.code]).isProblem(422))
            let byLink = try await Self.post(platform, "/auth/email/verify", ["token": carolSecond.token])
            #expect(byLink.status == 200 && byLink.json["emailVerified"] as? Bool == true, "\(byLink.text)")
            #expect(try await accounts.asUser(carol, .POST, "/api/v1/auth/email/verification").isProblem(409))

            // Expired: refused.
            let dave = try await accounts.register("dave@example.io")
            let daveCode = try await Self.code(to: "dave@example.io", in: smtp)
            try platform.database.sql("UPDATE verification.verification_requests SET expires_at = now() - interval '1 second' WHERE user_id = '\(dave)'")
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "dave@example.io", "code": daveCode.code]).isProblem(422))

            // The admin list: both dialects, filters, sorts, search; never a code.
            let all = try await Self.admin(platform, .GET, "/verification-requests?limit=50")
            let rows = try #require(all.json["data"] as? [[String: Any]])
            #expect(rows.count == 5 && (all.json["pagination"] as? [String: Any])?["total"] as? Int == 5, "\(all.text)")
            for row in rows { #expect(row["code"] == nil && row["token"] == nil && row.keys.allSatisfy { !$0.lowercased().contains("hash") }) }
            let statuses = try await Self.admin(platform, .GET, "/verification-requests?sort=createdAt&requestTypeCode=REGR&limit=50")
            #expect((statuses.json["data"] as? [[String: Any]])?.compactMap { $0["status"] as? String } == [
                "used", "locked", "superseded", "used", "expired",
            ], "\(statuses.text)")
            let anns = try await Self.admin(platform, .GET, "/verification-requests?email=ANN@example.io")
            #expect((anns.json["data"] as? [[String: Any]])?.first?["username"] as? String == "ann")
            let active = try await Self.admin(platform, .GET, "/verification-requests?isActive=true")
            #expect((active.json["data"] as? [[String: Any]])?.isEmpty == true, "\(active.text)")
            let byName = try await Self.admin(platform, .GET, "/verification-requests?username=BOBBY&requestTypeName=registration")
            #expect((byName.json["data"] as? [[String: Any]])?.count == 1)
            let search = try await Self.admin(platform, .GET, "/verification-requests?q=carol%20ng")
            #expect((search.json["data"] as? [[String: Any]])?.count == 2, "\(search.text)")
            let reactAdmin = try await Self.admin(
                platform, .GET,
                "/verification-requests?filter=%7B%22q%22%3A%22example%22%2C%22isActive%22%3Afalse%7D&range=%5B0%2C1%5D&sort=%5B%22username%22%2C%22ASC%22%5D")
            #expect(reactAdmin.jsonArray.count == 2 && reactAdmin.header("Content-Range") == "items 0-1/5", "\(reactAdmin.text)")
            #expect(reactAdmin.jsonArray.first?["username"] as? String == "ann")
            for bad in ["sort=code", "status=gone", "requestTypeCode=XXXX", "isActive=maybe", "unknownFilter=1&filter=%7B%22codeHash%22%3A1%7D"] {
                #expect(try await Self.admin(platform, .GET, "/verification-requests?\(bad)").status == 400, "\(bad)")
            }
            let types = try await Self.admin(platform, .GET, "/verification-request-types")
            #expect((types.json["data"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["REGR", "RPWR", "EMCH", "PHON"])
            let one = try await Self.admin(platform, .GET, "/verification-requests/\(try #require(rows.first?["id"] as? String))")
            #expect(one.status == 200)
            #expect(try await Self.admin(platform, .GET, "/verification-requests/\(EntityID.generate())").isProblem(404))
            let asUser = try await accounts.asUser(carol, .GET, "/api/v1/verification-requests", service: .verification)
            #expect(asUser.isProblem(403))

            // Resend to a list of emails: unknown ones → 404 naming them, nothing sent.
            let before = try platform.database.count("SELECT count(*) FROM verification.verification_requests")
            let unknown = try await Self.admin(platform, .POST, "/verification-requests/resend", json: ["emails": ["dave@example.io", "zed@example.io"]])
            #expect(unknown.isProblem(404) && unknown.text.contains("zed@example.io"), "\(unknown.text)")
            #expect(try await Self.admin(platform, .POST, "/verification-requests/resend", json: ["emails": ["not an email"]]).isProblem(422))
            #expect(try await Self.admin(platform, .POST, "/verification-requests/resend", json: ["emails": [String]()]).isProblem(422))
            #expect(try await Self.admin(platform, .POST, "/verification-requests/resend", json: ["emails": 5]).status == 400)
            #expect(try platform.database.count("SELECT count(*) FROM verification.verification_requests") == before)
            // Ann is verified already: left out; Dave gets a new code, once per Idempotency-Key.
            let key = [("Idempotency-Key", "resend-1")]
            let resend = try await Self.admin(
                platform, .POST, "/verification-requests/resend", json: ["emails": ["ann@example.io", "dave@example.io"]], headers: key)
            #expect(resend.status == 202 && (resend.json["data"] as? [[String: Any]])?.count == 1, "\(resend.text)")
            let replay = try await Self.admin(
                platform, .POST, "/verification-requests/resend", json: ["emails": ["ann@example.io", "dave@example.io"]], headers: key)
            #expect(replay.body == resend.body && replay.header("Idempotent-Replayed") == "true")
            let daveSecond = try await Self.code(to: "dave@example.io", count: 2, in: smtp)
            let daveVerified = try await Self.post(platform, "/auth/email/verify", ["email": "dave@example.io", "code": daveSecond.code])
            #expect(daveVerified.status == 200)

            // New request codes for a list of users.
            let made = try await Self.admin(
                platform, .POST, "/verification-requests", json: ["requests": [["userId": bob, "requestTypeCode": "REGR"]]])
            #expect(made.status == 202 && (made.json["data"] as? [[String: Any]])?.first?["status"] as? String == "active", "\(made.text)")
            let bobAgain = try await Self.code(to: "bob@example.io", count: 2, in: smtp)
            // Past 20 wrong codes of a type in a day, even a new request's right code is not compared.
            try platform.database.sql("UPDATE verification.verification_requests SET attempts = 20 WHERE user_id = '\(bob)' AND status = 'locked'")
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "bob@example.io", "code": bobAgain.code]).isProblem(422))
            try platform.database.sql("UPDATE verification.verification_requests SET attempts = 5 WHERE user_id = '\(bob)' AND status = 'locked'")
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "bob@example.io", "code": bobAgain.code]).status == 200)
            let stranger = try await Self.admin(
                platform, .POST, "/verification-requests", json: ["requests": [["userId": EntityID.generate().description, "requestTypeCode": "RPWR"]]])
            #expect(stranger.isProblem(404))
            let change = try await Self.admin(platform, .POST, "/verification-requests", json: ["requests": [["userId": bob, "requestTypeCode": "EMCH"]]])
            #expect(change.isProblem(422))
            let noPhone = try await Self.admin(platform, .POST, "/verification-requests", json: ["requests": [["userId": bob, "requestTypeCode": "PHON"]]])
            #expect(noPhone.isProblem(422))

            // A user asks for at most 10 codes an hour, whatever the cool-down says of each.
            _ = try await accounts.register("hal@example.io")
            let hal = try await accounts.login("hal@example.io")
            var refusals: [String] = []
            for _ in 0..<11 {
                refusals.append(try await accounts.asUser(hal, .POST, "/api/v1/auth/email/verification").json["code"] as? String ?? "-")
            }
            #expect(refusals == Array(repeating: "resend_cooldown", count: 10) + ["rate_limited"], "\(refusals)")

            // No code or token in any table (as text) or any log line.
            let secrets = [first, bobCode, carolFirst, carolSecond, daveCode, daveSecond, bobAgain]
            #expect(try Self.tablesHolding(["bob@example.io"], platform: platform).contains { $0.hasPrefix("verification.known_users|") })
            let holding = try Self.tablesHolding(secrets.map(\.token) + secrets.map { "\"\($0.code)\"" }, platform: platform)
            #expect(holding.isEmpty, "secrets stored in \(holding)")
            for service in ServiceName.allCases {
                let log = platform.process(service).log()
                for secret in secrets {
                    #expect(!log.contains(secret.token) && !log.contains("\"\(secret.code)\""), "\(service) logged a secret")
                }
            }
        }
    }

    @Test func passwordResetEmailChangeAndPhone() async throws {
        try await Self.withVerification { platform, smtp in
            let accounts = Accounts(platform: platform)
            let erin = try await accounts.register("erin@example.io", extra: ["phone": "+1 415 555 0123"])
            _ = try await Self.code(to: "erin@example.io", in: smtp)
            let oldSession = try await accounts.login("erin@example.io")

            // Forgot: the same answer for a known and an unknown email; both queue the same work.
            let jobs = try platform.database.count("SELECT count(*) FROM users.jobs WHERE kind = 'users.verification'")
            let known = try await Self.post(platform, "/auth/password/forgot", ["email": "erin@example.io"])
            let unknown = try await Self.post(platform, "/auth/password/forgot", ["email": "nobody@example.io"])
            #expect(known.status == 202 && unknown.status == 202, "\(known.text) / \(unknown.text)")
            #expect(NSDictionary(dictionary: known.json).isEqual(to: unknown.json), "\(known.text) / \(unknown.text)")
            #expect(try platform.database.count("SELECT count(*) FROM users.jobs WHERE kind = 'users.verification'") == jobs + 2)
            #expect(try await Self.post(platform, "/auth/password/forgot", ["email": "no"]).isProblem(422))
            let reset = try await Self.code(to: "erin@example.io", count: 2, in: smtp)
            #expect(reset.mail["subject"] as? String == "Reset your password")
            #expect(try await eventually { try platform.database.count("SELECT count(*) FROM users.jobs WHERE kind = 'users.verification' AND status = 'succeeded'") == jobs + 2 })
            #expect(Self.mails(to: "nobody@example.io", in: smtp).isEmpty)

            // A wrong code, or the right code with another email, changes nothing.
            let other = try await Self.post(platform, "/auth/password/reset", ["email": "nobody@example.io", "code": reset.code, "password": "new horse 22"])
            #expect(other.isProblem(422) && other.json["code"] as? String == "invalid_code")
            #expect(try await Self.post(platform, "/auth/password/reset", ["email": "erin@example.io", "code": reset.code, "password": "short"]).isProblem(422))
            let done = try await Self.post(platform, "/auth/password/reset", ["email": "erin@example.io", "code": reset.code, "password": "new horse 22"])
            #expect(done.status == 200 && done.json["status"] as? String == "password_reset", "\(done.text)")
            // Every session ended; the old password no longer works, the new one does.
            #expect(try await accounts.refresh(oldSession.refreshToken).status == 401)
            #expect(try await accounts.attempt("erin@example.io", password: "correct horse 1").status == 401)
            let session = try await accounts.login("erin@example.io", password: "new horse 22")
            #expect(try await Self.post(platform, "/auth/password/reset", ["token": reset.token, "password": "third horse 3"]).isProblem(422))

            // Email change: a code to the new address, applied on confirmation.
            #expect(try await accounts.asUser(session, .POST, "/api/v1/me/email", json: ["email": "erin2@example.io", "password": "wrong"]).isProblem(403))
            _ = try await accounts.register("taken@example.io")
            #expect(try await accounts.asUser(session, .POST, "/api/v1/me/email", json: ["email": "taken@example.io", "password": "new horse 22"]).isProblem(409))
            let started = try await accounts.asUser(session, .POST, "/api/v1/me/email", json: ["email": "erin2@example.io", "password": "new horse 22"])
            #expect(started.status == 202 && started.json["type"] as? String == "EMCH", "\(started.text)")
            let change = try await Self.code(to: "erin2@example.io", in: smtp)
            #expect(change.mail["subject"] as? String == "Confirm your new email address")
            #expect(try await accounts.asAdmin(.GET, "/api/v1/users/\(erin)").json["email"] as? String == "erin@example.io")
            let confirmed = try await accounts.asUser(session, .POST, "/api/v1/me/email/verify", json: ["code": change.code])
            #expect(confirmed.status == 200 && confirmed.json["email"] as? String == "erin2@example.io" && confirmed.json["emailVerified"] as? Bool == true,
                "\(confirmed.text)")
            _ = try await accounts.login("erin2@example.io", password: "new horse 22")

            // Phone: a code by text message, to the dev mailbox (no SMS provider); any
            // Idempotency-Key up to 200 characters.
            let sent = try await platform.request(
                .POST, platform.url(.users) + "/api/v1/me/phone/verification",
                headers: [session.bearer, ("Idempotency-Key", String(repeating: "k", count: 200))], authorized: false)
            #expect(sent.status == 202 && sent.json["type"] as? String == "PHON", "\(sent.text)")
            var sms: [String: Any] = [:]
            #expect(try await eventually(timeout: .seconds(30)) {
                let box = try await platform.request(.GET, platform.url(.notification) + "/api/v1/notifications/mailbox?channel=sms")
                sms = (box.json["data"] as? [[String: Any]])?.first { $0["to"] as? String == "+14155550123" } ?? [:]
                return !sms.isEmpty
            })
            let phoneCode = try #require((sms["text"] as? String)?.firstMatch(of: /is (\d{6})/)?.output.1)
            #expect(try await accounts.asUser(session, .POST, "/api/v1/me/phone/verify", json: ["code": "99999x"]).isProblem(422))
            let phone = try await accounts.asUser(session, .POST, "/api/v1/me/phone/verify", json: ["code": String(phoneCode)])
            #expect(phone.status == 200 && phone.json["phoneVerified"] as? Bool == true, "\(phone.text)")
            #expect(try await accounts.asUser(session, .POST, "/api/v1/me/phone/verification").isProblem(409))
            let holding = try Self.tablesHolding([reset.token, change.token, "\"\(reset.code)\"", "\"\(phoneCode)\""], platform: platform)
            #expect(holding.isEmpty, "secrets stored in \(holding)")

            // A reset code stops working once the address it went to is no longer the account's.
            #expect(try await Self.post(platform, "/auth/password/forgot", ["email": "erin2@example.io"]).status == 202)
            let late = try await Self.code(to: "erin2@example.io", count: 2, in: smtp)
            #expect(try await accounts.asAdmin(.PATCH, "/api/v1/users/\(erin)", json: ["email": "erin3@example.io"]).status == 200)
            #expect(try await eventually(timeout: .seconds(20)) {
                try platform.database.count(
                    "SELECT count(*) FROM verification.verification_requests WHERE user_id = '\(erin)' AND type_code = 'RPWR' AND status = 'active'") == 0
            })
            let moved = try await Self.post(platform, "/auth/password/reset", ["token": late.token, "password": "fourth horse 4"])
            #expect(moved.isProblem(422) && moved.json["code"] as? String == "invalid_code", "\(moved.text)")
        }
    }

    @Test func codesSurviveNotificationAndVerificationOutages() async throws {
        try await Self.withVerification { platform, smtp in
            let accounts = Accounts(platform: platform)
            // Notification down: the request is kept and its email sent once it returns.
            let notification = platform.process(.notification)
            try await notification.stop()
            let fay = try await accounts.register("fay@example.io")
            #expect(try await eventually(timeout: .seconds(20)) {
                try platform.database.count(
                    "SELECT count(*) FROM verification.jobs WHERE kind = 'verification.deliver' AND attempts >= 1 AND last_error IS NOT NULL") >= 1
            })
            #expect(try platform.database.count("SELECT count(*) FROM verification.verification_requests WHERE user_id = '\(fay)' AND sent_at IS NULL") == 1)
            try await notification.startAndWait(http: platform.http)
            let fayCode = try await Self.code(to: "fay@example.io", in: smtp)

            // Verification down: the registration's job waits; the code arrives when it returns.
            let verification = platform.process(.verification)
            try await verification.stop()
            _ = try await accounts.register("gus@example.io")
            #expect(try await eventually(timeout: .seconds(20)) {
                try platform.database.count("SELECT count(*) FROM users.jobs WHERE kind = 'users.verification' AND last_error IS NOT NULL") >= 1
            })
            try await verification.startAndWait(http: platform.http)
            let gusCode = try await Self.code(to: "gus@example.io", in: smtp)
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "gus@example.io", "code": gusCode.code]).status == 200)
            #expect(try await Self.post(platform, "/auth/email/verify", ["email": "fay@example.io", "code": fayCode.code]).status == 200)

            // Nothing twice: one email each, one request each.
            try await Task.sleep(for: .seconds(2))
            #expect(Self.mails(to: "fay@example.io", in: smtp).count == 1 && Self.mails(to: "gus@example.io", in: smtp).count == 1)
            #expect(try platform.database.count("SELECT count(*) FROM verification.verification_requests") == 2)
        }
    }
}
