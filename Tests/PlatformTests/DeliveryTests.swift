import Crypto
import Foundation
import NIOHTTP1
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Email, SMS and webhook delivery (issue 8): templates, a real SMTP server on loopback
/// (aiosmtpd), the dev mailbox, signed webhooks to a local receiver, retries with backoff,
/// dead letters and re-driving, the internal send API, and preferences composed by users.
@Suite(.serialized) struct DeliveryTests {
    typealias Notifications = NotificationTests.Notifications

    /// Registers users through the users service and waits until notification knows them.
    static func users(_ names: [String], platform: TestPlatform) async throws -> [String] {
        let accounts = Accounts(platform: platform)
        var ids: [String] = []
        for name in names {
            ids.append(try await accounts.register("\(name.lowercased())@example.io", extra: ["firstName": name]))
        }
        let known = try await eventually(timeout: .seconds(20)) {
            try platform.database.count("SELECT count(*) FROM notification.recipients WHERE first_name IS NOT NULL") >= names.count
        }
        #expect(known, "notification never heard of the new users")
        return ids
    }

    /// Waits until the delivery reaches `status`; its last state.
    static func delivery(_ id: String, reaches status: String, notifications: Notifications, timeout: Duration = .seconds(40)) async throws
        -> [String: Any]
    {
        var last: [String: Any] = [:]
        _ = try await eventually(timeout: timeout, every: .milliseconds(200)) {
            last = try await notifications.call(.GET, "/notifications/deliveries/\(id)").json
            return last["status"] as? String == status
        }
        return last
    }

    /// The id of the newest delivery on `channel`.
    static func latestDelivery(_ channel: String, notifications: Notifications) async throws -> String {
        let latest = try await notifications.call(.GET, "/notifications/deliveries?channel=\(channel)&sort=-createdAt&limit=1")
        return try #require((latest.json["data"] as? [[String: Any]])?.first?["id"] as? String, "\(latest.text)")
    }

    @Test func emailOverSMTPRetriesTemplatesAndPreferences() async throws {
        let smtp = try Sink(.mail)
        try await smtp.start()
        let environment = [
            "ROSTER_SMTP_HOST": "127.0.0.1", "ROSTER_SMTP_PORT": "\(smtp.port)", "ROSTER_SMTP_SECURITY": "none",
            "ROSTER_SMTP_FROM": "Roster Tests <tests@roster.example>",
        ]
        try await withPlatform([.users, .audience, .notification], environment: environment) { platform in
            let notifications = Notifications(platform: platform)
            let ids = try await Self.users(["Ann", "Bob"], platform: platform)
            let (ann, bob) = (ids[0], ids[1])

            // Templates: CRUD, validation, built-ins.
            let builtIn = try await notifications.call(.GET, "/templates/built-in")
            #expect((builtIn.json["data"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [
                "notification", "verification_code", "password_reset", "email_change",
            ])
            let template: [String: JSONValue] = [
                "code": "new_campaign", "name": "New campaign", "subject": "Campaign: {{title}}",
                "text": "Hi {{user.firstName}}: {{message}}", "html": "<p>{{message}}</p>",
            ]
            let created = try await notifications.call(.POST, "/templates", json: template)
            #expect(created.status == 201, "\(created.text)")
            let templateID = try #require(created.json["id"] as? String)
            #expect(try await notifications.call(.POST, "/templates", json: template).isProblem(409))
            for bad: [String: JSONValue] in [
                ["code": "broken", "name": "Broken", "subject": "{{#open}}", "text": "t"],
                ["code": "Bad Code", "name": "x", "subject": "s", "text": "t"],
                ["code": "no_text", "name": "x", "subject": "s"],
                ["code": "huge", "name": "x", "subject": "s", "text": .string(String(repeating: "t", count: 65_537))],
                ["code": "wrong", "name": "x", "subject": 5, "text": "t"],
            ] {
                let answer = try await notifications.call(.POST, "/templates", json: bad)
                #expect(answer.status == 400 || answer.isProblem(422), "\(bad): \(answer.text)")
            }
            #expect(try platform.database.count("SELECT count(*) FROM notification.templates") == 1)
            let listed = try await notifications.call(.GET, "/templates?sort=-createdAt")
            #expect((listed.json["data"] as? [[String: Any]])?.count == 1)
            #expect(try await notifications.call(.PATCH, "/templates/\(templateID)", json: ["subject": "{{/nope}}"]).isProblem(422))
            #expect(try await notifications.call(.GET, "/templates/\(UUID().uuidString.lowercased())").isProblem(404))
            // At most 500 a application, checked in the insert itself.
            _ = try platform.database.sql(
                """
                INSERT INTO notification.templates (application_id, id, code, name, subject, text_body)
                SELECT application_id, gen_random_uuid(), 'filler_' || g, 'Filler', 's', 't'
                FROM notification.templates, generate_series(1, 499) g
                """)
            let full = try await notifications.call(.POST, "/templates", json: ["code": "one_more", "name": "x", "subject": "s", "text": "t"])
            #expect(full.isProblem(422) && full.json["code"] as? String == "too_many_templates", "\(full.text)")
            #expect(try platform.database.count("SELECT count(*) FROM notification.templates") == 500)

            // A broadcast by email: the type's own template, rendered per user; HTML escaped.
            let first = try await notifications.broadcast([
                "type": "new_campaign", "title": "Spring", "message": "5 < 6", "userIds": [.string(ann), .string(bob)],
                "channels": ["in_app", "email"],
            ])
            #expect(first["status"] as? String == "completed" && first["queued"] as? Int == 2 && first["delivered"] as? Int == 2, "\(first)")
            #expect(await eventually(timeout: .seconds(20)) { smtp.received().count == 2 })
            let mails = smtp.received()
            let annMail = try #require(mails.first { ($0["to"] as? [String]) == ["ann@example.io"] })
            #expect(annMail["subject"] as? String == "Campaign: Spring")
            #expect((annMail["text"] as? String)?.contains("Hi Ann: 5 < 6") == true, "\(annMail)")
            #expect((annMail["html"] as? String)?.contains("<p>5 &lt; 6</p>") == true, "\(annMail)")
            #expect(annMail["from"] as? String == "tests@roster.example")
            let sent = try await notifications.call(.GET, "/notifications/deliveries?status=sent&channel=email")
            #expect(sent.json["pagination"].flatMap { ($0 as? [String: Any])?["total"] as? Int } == 2, "\(sent.text)")

            // Bob turned new_campaign's email off: only Ann is emailed; a critical type reaches both.
            let asBob = try await Accounts(platform: platform).login("bob@example.io")
            let off = try await Accounts(platform: platform).asUser(
                asBob, .PATCH, "/api/v1/me/notification-settings", json: ["settings": ["new_campaign": ["email": false]]] as [String: JSONValue],
                service: .notification)
            #expect(off.status == 200, "\(off.text)")
            let second = try await notifications.broadcast([
                "type": "new_campaign", "title": "Summer", "message": "m", "userIds": [.string(ann), .string(bob)], "channels": ["email"],
            ])
            #expect(second["queued"] as? Int == 1 && second["skipped"] as? Int == 1, "\(second)")
            let alert = try await notifications.call(
                .POST, "/notification-types",
                json: ["code": "security_alert", "name": "Security alert", "critical": true, "channels": ["email"]] as [String: JSONValue])
            #expect(alert.status == 201, "\(alert.text)")
            _ = try platform.database.sql(
                """
                INSERT INTO notification.notification_settings (application_id, user_id, type_id, channel, enabled)
                SELECT application_id, '\(bob)', id, 'email', false FROM notification.notification_types WHERE code = 'security_alert'
                """)
            let critical = try await notifications.broadcast([
                "type": "security_alert", "title": "New sign-in", "message": "m", "userIds": [.string(ann), .string(bob)],
            ])
            #expect(critical["queued"] as? Int == 2, "\(critical)")
            #expect(await eventually(timeout: .seconds(20)) { smtp.received().count == 5 })
            #expect(smtp.received().filter { $0["subject"] as? String == "Campaign: Summer" }.count == 1)
            #expect(smtp.received().filter { $0["subject"] as? String == "New sign-in" }.count == 2)

            // SMTP down: the delivery retries with backoff and arrives once the server is back.
            smtp.stop()
            let third = try await notifications.broadcast([
                "type": "new_campaign", "title": "Autumn", "message": "m", "userId": .string(ann), "channels": ["email"],
            ])
            #expect(third["queued"] as? Int == 1)
            let pending = try await Self.latestDelivery("email", notifications: notifications)
            let waiting = try await eventually(timeout: .seconds(20), every: .milliseconds(200)) {
                let state = try await notifications.call(.GET, "/notifications/deliveries/\(pending)").json
                return (state["attempts"] as? Int ?? 0) >= 2 && state["lastError"] is String
            }
            #expect(waiting, "the delivery did not retry while SMTP was down")
            try await smtp.start()
            let delivered = try await Self.delivery(pending, reaches: "sent", notifications: notifications)
            #expect(delivered["via"] as? String == "smtp" && (delivered["attempts"] as? Int ?? 0) >= 3, "\(delivered)")
            #expect(smtp.received().filter { $0["subject"] as? String == "Campaign: Autumn" }.count == 1)

            // The internal send API (verification's): idempotent, variables sealed at rest.
            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .verification).token()
            let service = [("Authorization", "Bearer \(token)")]
            let app = try #require(EntityID(try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")))
            let url = platform.url(.notification) + NotificationMessages.path
            let message = NotificationMessages.Request(
                applicationId: app, channel: .email, template: "verification_code", userId: EntityID(ann), to: "new-ann@example.io",
                variables: ["code": "918273", "expiresInMinutes": 15], idempotencyKey: "regr-1")
            let accepted = try await platform.request(.POST, url, json: message, headers: service, authorized: false)
            #expect(accepted.status == 202, "\(accepted.text)")
            let again = try await platform.request(.POST, url, json: message, headers: service, authorized: false)
            #expect(again.json["id"] as? String == accepted.json["id"] as? String && again.json["replayed"] as? Bool == true)
            #expect(!accepted.text.contains("918273"))
            #expect(try await platform.request(.POST, url, json: message, authorized: false).status == 401)
            var unknown = message
            unknown.template = "nope"
            unknown.idempotencyKey = "regr-2"
            #expect(try await platform.request(.POST, url, json: unknown, headers: service, authorized: false).isProblem(422))
            var nowhere = message
            (nowhere.to, nowhere.userId, nowhere.idempotencyKey) = (nil, nil, "regr-3")
            #expect(try await platform.request(.POST, url, json: nowhere, headers: service, authorized: false).isProblem(422))
            var badAddress = message
            (badAddress.to, badAddress.idempotencyKey) = ("not an address", "regr-4")
            #expect(try await platform.request(.POST, url, json: badAddress, headers: service, authorized: false).isProblem(422))
            #expect(await eventually(timeout: .seconds(20)) { smtp.received().contains { $0["to"] as? [String] == ["new-ann@example.io"] } })
            let code = smtp.received().filter { $0["to"] as? [String] == ["new-ann@example.io"] }
            #expect(code.count == 1 && code.first?["subject"] as? String == "Your verification code: 918273", "\(code)")
            #expect((code.first?["text"] as? String)?.contains("expires in 15 minutes") == true)
            #expect(try platform.database.count("SELECT count(*) FROM notification.jobs WHERE payload::text LIKE '%918273%'") == 0)

            // A mailbox the server refuses for good (550): dead after one attempt, not retried.
            var bounce = message
            (bounce.to, bounce.idempotencyKey) = ("bounce@example.io", "regr-5")
            let bounced = try await platform.request(.POST, url, json: bounce, headers: service, authorized: false)
            let bounceID = try #require(bounced.json["id"] as? String, "\(bounced.text)")
            let refused = try await Self.delivery(bounceID, reaches: "dead", notifications: notifications)
            #expect(refused["attempts"] as? Int == 1 && (refused["lastError"] as? String)?.contains("550") == true, "\(refused)")

            // Nothing was sent twice: one message per Message-ID.
            let messageIDs = smtp.received().compactMap { $0["messageId"] as? String }
            #expect(messageIDs.count == smtp.received().count && Set(messageIDs).count == messageIDs.count)

            // Seed 004's preferences view, composed by users with notification's settings.
            let preferences = try await Accounts(platform: platform).asUser(asBob, .GET, "/api/v1/me/preferences")
            #expect(preferences.status == 200, "\(preferences.text)")
            let types = (preferences.json["notifications"] as? [String: Any])?["settings"] as? [[String: Any]]
            let campaign = types?.first { $0["code"] as? String == "new_campaign" }
            #expect(campaign?["channels"] as? [String: Bool] == ["in_app": true, "email": false], "\(preferences.text)")
            #expect(preferences.json["privacy"] is [String: Any])
        }
        smtp.stop()
    }

    @Test func mailboxWebhooksDeadLettersAndRedrive() async throws {
        let receiver = try Sink(.webhook)
        try await receiver.start()
        let environment = ["ROSTER_NOTIFICATION_DELIVERY_ATTEMPTS": "3", "ROSTER_NOTIFICATION_WEBHOOK_PRIVATE_NETWORKS": "1"]
        try await withPlatform([.users, .audience, .notification], environment: environment) { platform in
            let notifications = Notifications(platform: platform)
            let ids = try await Self.users(["Cy"], platform: platform)
            let app = try #require(EntityID(try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")))

            // Without SMTP, email and SMS go to the dev mailbox, sealed at rest.
            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .verification).token()
            let service = [("Authorization", "Bearer \(token)")]
            let url = platform.url(.notification) + NotificationMessages.path
            let sms = NotificationMessages.Request(
                applicationId: app, channel: .sms, template: "verification_code", userId: nil, to: "+1 (415) 555-0123",
                variables: ["code": "654321", "expiresInMinutes": 5], idempotencyKey: "phon-1")
            #expect(try await platform.request(.POST, url, json: sms, headers: service, authorized: false).status == 202)
            let email = NotificationMessages.Request(
                applicationId: app, channel: .email, template: "password_reset", userId: EntityID(ids[0]), to: nil,
                variables: ["code": "112233", "expiresInMinutes": 30, "link": "https://app.example/reset?t=abc"], idempotencyKey: "rpwr-1")
            #expect(try await platform.request(.POST, url, json: email, headers: service, authorized: false).status == 202)
            #expect(await eventually(timeout: .seconds(20)) {
                (try? platform.database.count("SELECT count(*) FROM notification.mailbox")) == 2
            })
            let texts = try await notifications.call(.GET, "/notifications/mailbox?channel=sms")
            let text = try #require((texts.json["data"] as? [[String: Any]])?.first, "\(texts.text)")
            #expect(text["to"] as? String == "+14155550123" && (text["text"] as? String)?.contains("654321") == true, "\(text)")
            let mails = try await notifications.call(.GET, "/notifications/mailbox?to=CY@example.io")
            let mail = try #require((mails.json["data"] as? [[String: Any]])?.first, "\(mails.text)")
            #expect(mail["subject"] as? String == "Reset your password" && (mail["html"] as? String)?.contains("https://app.example/reset?t=abc") == true)
            for secret in ["654321", "112233"] {
                #expect(try platform.database.count(
                    "SELECT count(*) FROM notification.mailbox WHERE position('\(secret)'::bytea IN content_sealed) > 0") == 0)
            }
            let mailDelivery = try #require(mail["deliveryId"] as? String)
            #expect(try await notifications.call(.GET, "/notifications/deliveries/\(mailDelivery)").json["via"] as? String == "mailbox")

            // The webhook endpoint: the secret is shown on creation and rotation only.
            let base = "http://127.0.0.1:\(receiver.port)"
            #expect(try await notifications.call(.GET, "/notifications/webhook").isProblem(404))
            #expect(try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "ftp://example.com/x"]).isProblem(422))
            #expect(try await notifications.call(.PUT, "/notifications/webhook", json: ["url": 5]).status == 400)
            let endpoint = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "\(base)/ok"])
            #expect(endpoint.status == 201, "\(endpoint.text)")
            let firstSecret = try #require(endpoint.json["secret"] as? String)
            #expect(try await notifications.call(.GET, "/notifications/webhook").json["secret"] == nil)
            let rotated = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": .string("\(base)/ok"), "rotateSecret": true] as [String: JSONValue])
            let secret = try #require(rotated.json["secret"] as? String)
            #expect(rotated.status == 200 && secret != firstSecret)
            #expect(try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "\(base)/ok"]).json["secret"] == nil)
            #expect(try platform.database.count(
                "SELECT count(*) FROM notification.webhook_endpoints WHERE position('\(secret)'::bytea IN secret_sealed) > 0") == 0)

            // A broadcast on the webhook channel: one signed POST per recipient.
            let hook = try await notifications.call(
                .POST, "/notification-types", json: ["code": "order_shipped", "name": "Order shipped", "channels": ["in_app", "webhook"]] as [String: JSONValue])
            #expect(hook.status == 201)
            let shipped = try await notifications.broadcast([
                "type": "order_shipped", "title": "Shipped", "message": "On its way", "userId": .string(ids[0]), "data": ["order": 42],
            ])
            #expect(shipped["queued"] as? Int == 1 && shipped["delivered"] as? Int == 1, "\(shipped)")
            #expect(await eventually(timeout: .seconds(20)) { receiver.received().count == 1 })
            let request = try #require(receiver.received().first)
            let headers = try #require(request["headers"] as? [String: String])
            let body = try #require(request["body"] as? String)
            let timestamp = try #require(headers["x-roster-timestamp"])
            let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
            #expect(headers["x-roster-signature"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(payload["title"] as? String == "Shipped" && payload["userId"] as? String == ids[0] && payload["id"] as? String == headers["x-roster-delivery"])
            #expect((payload["data"] as? [String: Any])?["order"] as? Int == 42)

            // A receiver answering 500: retried with backoff, dead after 3 attempts, then re-driven.
            _ = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "\(base)/fail"])
            let failing = try await notifications.broadcast([
                "type": "order_shipped", "title": "Delayed", "message": "m", "userId": .string(ids[0]), "channels": ["webhook"],
            ])
            #expect(failing["queued"] as? Int == 1)
            let deadID = try await Self.latestDelivery("webhook", notifications: notifications)
            let dead = try await Self.delivery(deadID, reaches: "dead", notifications: notifications)
            #expect(dead["attempts"] as? Int == 3 && dead["lastError"] as? String == "the webhook receiver answered 500", "\(dead)")
            #expect(receiver.received().filter { ($0["headers"] as? [String: String])?["x-roster-delivery"] == deadID }.count == 3)
            #expect(try await notifications.call(.GET, "/notifications/deliveries?status=dead").json["pagination"]
                .flatMap { ($0 as? [String: Any])?["total"] as? Int } == 1)
            _ = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "\(base)/ok"])
            let redriven = try await notifications.call(.POST, "/notifications/deliveries/\(deadID)/redrive")
            #expect(redriven.status == 202, "\(redriven.text)")
            let revived = try await Self.delivery(deadID, reaches: "sent", notifications: notifications)
            #expect(revived["attempts"] as? Int == 1)
            #expect(try await notifications.call(.POST, "/notifications/deliveries/\(deadID)/redrive").isProblem(409))
            #expect(try await notifications.call(.POST, "/notifications/deliveries/\(UUID().uuidString.lowercased())/redrive").isProblem(404))
            #expect(try await notifications.call(.GET, "/notifications/deliveries?status=lost").isProblem(400))

            // A redirect is a failed attempt, never followed.
            _ = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "\(base)/redirect"])
            let redirected = try await notifications.broadcast([
                "type": "order_shipped", "title": "Moved", "message": "m", "userId": .string(ids[0]), "channels": ["webhook"],
            ])
            #expect(redirected["queued"] as? Int == 1)
            let movedID = try await Self.latestDelivery("webhook", notifications: notifications)
            #expect(await eventually(timeout: .seconds(20)) {
                let state = try? await notifications.call(.GET, "/notifications/deliveries/\(movedID)").json
                return state?["lastError"] as? String == "the webhook receiver answered 307"
            })
            let moved = receiver.received().filter { ($0["headers"] as? [String: String])?["x-roster-delivery"] == movedID }
            #expect(!moved.isEmpty && moved.allSatisfy { $0["path"] as? String == "/redirect" }, "\(moved)")

            // No webhook endpoint: the type's webhook channel queues nothing.
            #expect(try await notifications.call(.DELETE, "/notifications/webhook").status == 204)
            let none = try await notifications.broadcast([
                "type": "order_shipped", "title": "t", "message": "m", "userId": .string(ids[0]),
            ])
            #expect(none["queued"] as? Int == 0 && none["delivered"] as? Int == 1, "\(none)")
        }
        receiver.stop()
    }

    /// By default a webhook cannot reach loopback, private or link-local addresses: refused when
    /// the endpoint is set, and a delivery to a host that now resolves to one is dead at once.
    @Test func webhooksStayOffPrivateNetworks() async throws {
        let receiver = try Sink(.webhook)
        try await receiver.start()
        try await withPlatform([.users, .notification]) { platform in
            let notifications = Notifications(platform: platform)
            let ids = try await Self.users(["Di"], platform: platform)
            for url in [
                "http://127.0.0.1:\(receiver.port)/ok", "http://localhost/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook",
                "http://10.1.2.3/hook", "http://192.168.0.7/hook", "http://[fd00::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://2130706433/hook",
                "http://[::127.0.0.1]/hook", "http://[2002:a00:1::1]/hook",
            ] {
                let refused = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": .string(url)] as [String: JSONValue])
                #expect(refused.isProblem(422) && refused.text.contains("private_address"), "\(url): \(refused.text)")
            }
            #expect(try platform.database.count("SELECT count(*) FROM notification.webhook_endpoints") == 0)
            let endpoint = try await notifications.call(.PUT, "/notifications/webhook", json: ["url": "http://203.0.113.9/hook"])
            #expect(endpoint.status == 201, "\(endpoint.text)")

            // The host's address changed to a loopback one since: no request, dead at once.
            _ = try platform.database.sql("UPDATE notification.webhook_endpoints SET url = 'http://127.0.0.1:\(receiver.port)/ok'")
            let hook = try await notifications.call(
                .POST, "/notification-types", json: ["code": "order_shipped", "name": "Order shipped", "channels": ["webhook"]] as [String: JSONValue])
            #expect(hook.status == 201, "\(hook.text)")
            let sent = try await notifications.broadcast(["type": "order_shipped", "title": "t", "message": "m", "userId": .string(ids[0])])
            #expect(sent["queued"] as? Int == 1, "\(sent)")
            let id = try await Self.latestDelivery("webhook", notifications: notifications)
            let dead = try await Self.delivery(id, reaches: "dead", notifications: notifications)
            #expect(dead["attempts"] as? Int == 1 && (dead["lastError"] as? String)?.contains("private") == true, "\(dead)")
            #expect(receiver.received().isEmpty)
        }
        receiver.stop()
    }

    @Test func startTLSWithAuthAndAVerifiedCertificate() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-tls-\(Shell.randomText(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, key) = (folder.appendingPathComponent("cert.pem").path, folder.appendingPathComponent("key.pem").path)
        try Shell.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
        let smtp = try Sink(.mail, arguments: [certificate, key, "roster", "relay-password-1"])
        try await smtp.start()
        let environment = [
            "ROSTER_SMTP_HOST": "localhost", "ROSTER_SMTP_PORT": "\(smtp.port)", "ROSTER_SMTP_SECURITY": "starttls",
            "ROSTER_SMTP_USERNAME": "roster", "ROSTER_SMTP_PASSWORD": "relay-password-1", "ROSTER_SMTP_CA_FILE": certificate,
            "ROSTER_NOTIFICATION_DELIVERY_ATTEMPTS": "2",
        ]
        try await withPlatform([.users, .notification], environment: environment) { platform in
            let notifications = Notifications(platform: platform)
            let token = try await ServiceTokens(secret: platform.serviceSecret, service: .verification).token()
            let app = try #require(EntityID(try platform.database.sql("SELECT id FROM users.applications ORDER BY created_at LIMIT 1")))
            func send(_ key: String) async throws -> String {
                let message = NotificationMessages.Request(
                    applicationId: app, channel: .email, template: "email_change", userId: nil, to: "dee@example.io",
                    variables: ["code": "445566", "expiresInMinutes": 10], idempotencyKey: key)
                let answer = try await platform.request(
                    .POST, platform.url(.notification) + NotificationMessages.path, json: message,
                    headers: [("Authorization", "Bearer \(token)")], authorized: false)
                #expect(answer.status == 202, "\(answer.text)")
                return try #require(answer.json["id"] as? String)
            }

            // Upgraded with STARTTLS, the certificate verified against the configured CA, AUTH PLAIN.
            let first = try await send("emch-1")
            let sent = try await Self.delivery(first, reaches: "sent", notifications: notifications)
            #expect(sent["via"] as? String == "smtp", "\(sent)")
            let mail = try #require(smtp.received().first)
            #expect(mail["tls"] as? Bool == true && mail["user"] as? String == "roster", "\(mail)")
            #expect(mail["subject"] as? String == "Confirm your new email address")

            // Without the CA the certificate is refused: nothing is sent, the delivery dies.
            let process = platform.process(.notification)
            try await process.stop()
            process.override(["ROSTER_SMTP_CA_FILE": ""])
            try await process.startAndWait(http: platform.http)
            let refused = try await Self.delivery(try await send("emch-2"), reaches: "dead", notifications: notifications)
            #expect(refused["attempts"] as? Int == 2 && refused["lastError"] is String, "\(refused)")
            #expect(smtp.received().count == 1)

            // A forged reply appended to STARTTLS's go-ahead: refused before the handshake.
            let injector = try Sink(.startTLSInjector)
            try await injector.start()
            try await process.stop()
            process.override(["ROSTER_SMTP_HOST": "127.0.0.1", "ROSTER_SMTP_PORT": "\(injector.port)"])
            try await process.startAndWait(http: platform.http)
            let injected = try await Self.delivery(try await send("emch-3"), reaches: "dead", notifications: notifications)
            #expect((injected["lastError"] as? String)?.contains("before the TLS handshake") == true, "\(injected)")
            #expect(injector.received().isEmpty, "the client went on after the forged reply: \(injector.received())")
            injector.stop()
        }
        smtp.stop()
    }
}
