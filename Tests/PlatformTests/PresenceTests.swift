import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Presence (issue 4, seed 003): heartbeats and online users, current URLs, typing with its
/// expiry, the last participant of a conversation, the bot and generated avatars.
@Suite(.serialized) struct PresenceTests {
    @Test func heartbeatsOnlineUsersAndCurrentURL() async throws {
        try await withPlatform([.users], environment: ["ROSTER_PRESENCE_ONLINE_SECONDS": "2"]) { platform in
            let accounts = Accounts(platform: platform)
            let base = platform.url(.users) + "/api/v1"
            let visitor = try await accounts.register("ann@example.io")
            let session = try await accounts.login("ann@example.io")
            let agent = try #require(
                try await platform.request(.POST, "\(base)/users", json: ["email": "agent@example.io", "type": "agent"]).json["id"] as? String)
            let idle = try #require(try await platform.request(.POST, "\(base)/users", json: ["email": "idle@example.io"]).json["id"] as? String)

            // The user beats for themselves; an API key names the user.
            let own = try await accounts.asUser(session, .POST, "/api/v1/presence/heartbeat", json: ["url": "https://shop.example/cart"])
            #expect(own.status == 204, "\(own.text)")
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: ["userId": agent]).status == 204)
            #expect(try await accounts.asUser(session, .POST, "/api/v1/presence/heartbeat", json: ["userId": agent]).isProblem(403))
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: [String: String]()).isProblem(422))
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: ["userId": UUID().uuidString.lowercased()]).isProblem(404))
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: ["userId": agent, "url": "a\u{7}b"]).isProblem(422))

            let online = try await platform.request(.GET, "\(base)/presence/online?sort=createdAt")
            #expect((online.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [visitor, agent], "\(online.text)")
            let others = try await platform.request(.GET, "\(base)/presence/online?exclude=\(agent)")
            #expect((others.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [visitor])
            let agents = try await platform.request(.GET, "\(base)/presence/online?agents=true")
            #expect((agents.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [agent])
            #expect(try await platform.request(.GET, "\(base)/agents/online").json["online"] as? Bool == true)

            let state = try await platform.request(.GET, "\(base)/users/\(visitor)/presence")
            #expect(state.json["online"] as? Bool == true && state.json["currentUrl"] as? String == "https://shop.example/cart")
            #expect(try await platform.request(.GET, "\(base)/users/\(idle)/presence").json["online"] as? Bool == false)
            #expect(try await accounts.asUser(session, .GET, "/api/v1/users/\(idle)/presence").isProblem(404))
            // The current URL: set without a heartbeat, read back; a beat without a URL keeps it.
            #expect(try await platform.request(.PUT, "\(base)/users/\(idle)/current-url", json: ["url": "https://x.example/a"]).status == 200)
            #expect(try await platform.request(.GET, "\(base)/users/\(idle)/current-url").json["url"] as? String == "https://x.example/a")
            #expect(try await platform.request(.GET, "\(base)/users/\(idle)/presence").json["online"] as? Bool == false)
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: ["userId": idle]).status == 204)
            // null is the same as leaving the URL out.
            let nullURL: [String: String?] = ["userId": idle, "url": nil]
            #expect(try await platform.request(.POST, "\(base)/presence/heartbeat", json: nullURL).status == 204)
            #expect(try await platform.request(.GET, "\(base)/users/\(idle)/current-url").json["url"] as? String == "https://x.example/a")
            #expect(try await platform.request(.PUT, "\(base)/users/\(idle)/current-url", json: ["url": ""]).isProblem(422))

            // Without heartbeats, everyone goes offline after the configured 2 seconds.
            _ = try await eventually(timeout: .seconds(10)) {
                try await platform.request(.GET, "\(base)/presence/online").header("X-Total-Count") == "0"
            }
            #expect(try await platform.request(.GET, "\(base)/agents/online").json["count"] as? Int == 0)
            #expect(try await platform.request(.GET, "\(base)/presence/online?bogus=1").isProblem(400))
        }
    }

    @Test func typingExpiresAndConversationsKnowTheirLastParticipants() async throws {
        try await withPlatform([.users], environment: ["ROSTER_PRESENCE_TYPING_SECONDS": "2"]) { platform in
            let accounts = Accounts(platform: platform)
            let base = platform.url(.users) + "/api/v1"
            let customer = try await accounts.register("cu@example.io")
            let session = try await accounts.login("cu@example.io")
            let agent = try #require(
                try await platform.request(.POST, "\(base)/users", json: ["email": "ag@example.io", "type": "agent", "firstName": "Ana"])
                    .json["id"] as? String)
            let conversation = "\(base)/conversations/conv-42"

            #expect(try await accounts.asUser(session, .PUT, "/api/v1/conversations/conv-42/typing", json: [String: String]()).status == 204)
            #expect(try await platform.request(.PUT, "\(conversation)/typing", json: ["userId": agent]).status == 204)
            let typing = try await platform.request(.GET, "\(conversation)/typing").json["typing"] as? [[String: Any]] ?? []
            #expect(Set(typing.compactMap { $0["id"] as? String }) == [customer, agent])
            let agentTyping = try await platform.request(.GET, "\(conversation)/typing?agents=true").json["typing"] as? [[String: Any]] ?? []
            #expect(agentTyping.count == 1 && agentTyping.first?["firstName"] as? String == "Ana")
            let one = try await platform.request(.GET, "\(conversation)/typing?userId=\(customer)").json["typing"] as? [Any] ?? []
            #expect(one.count == 1)
            // Stopping is immediate; the rest expires.
            #expect(try await platform.request(.DELETE, "\(conversation)/typing?userId=\(agent)").status == 204)
            #expect((try await platform.request(.GET, "\(conversation)/typing?agents=true").json["typing"] as? [Any])?.isEmpty == true)
            _ = try await eventually(timeout: .seconds(10)) {
                (try await platform.request(.GET, "\(conversation)/typing").json["typing"] as? [Any])?.isEmpty == true
            }

            // The last user and the last agent of the conversation.
            #expect(try await platform.request(.POST, "\(conversation)/activity", json: ["userId": agent]).status == 204)
            let lastUser = try await platform.request(.GET, "\(conversation)/last-participant")
            #expect(lastUser.json["id"] as? String == customer && lastUser.json["email"] as? String == "cu@example.io", "\(lastUser.text)")
            #expect(try await platform.request(.GET, "\(conversation)/last-participant?agent=true").json["id"] as? String == agent)
            #expect(try await platform.request(.GET, "\(base)/conversations/other/last-participant").isProblem(404))
            #expect(try await accounts.asUser(session, .GET, "/api/v1/conversations/conv-42/last-participant").isProblem(403))
            #expect(try await platform.request(.PUT, "\(base)/conversations/bad%20id/typing", json: ["userId": agent]).isProblem(400))
            #expect(try await platform.request(.PUT, "\(conversation)/typing", json: [String: String]()).isProblem(422))
            #expect(try await platform.request(.GET, "\(conversation)/typing?agents=maybe").isProblem(400))
        }
    }

    @Test func theBotAndGeneratedAvatars() async throws {
        try await withPlatform([.users]) { platform in
            let base = platform.url(.users) + "/api/v1"
            // The bot is made once, even when first asked for by several at once.
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<4 { group.addTask { try await platform.request(.GET, "\(base)/bot").json["id"] as? String } }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && ids.first! != nil)
            #expect(try platform.database.count("SELECT count(*) FROM users.users WHERE type = 'bot'") == 1)
            let renamed = try await platform.request(.PATCH, "\(base)/bot", json: ["name": "Helper", "profileImage": "https://img.example/bot.png"])
            #expect(renamed.json["name"] as? String == "Helper" && renamed.json["profileImage"] as? String == "https://img.example/bot.png")
            #expect(try await platform.request(.GET, "\(base)/bot").json["name"] as? String == "Helper")
            #expect(try await platform.request(.PATCH, "\(base)/bot", json: ["profileImage": "not a url"]).isProblem(422))
            #expect(try await platform.request(.PATCH, "\(base)/bot", json: ["name": JSONValue.null]).isProblem(422))
            #expect(try await platform.request(.PATCH, "\(base)/bot", json: ["name": ""]).isProblem(422))
            #expect(try await platform.request(.GET, "\(base)/users/avatar.svg?firstName=%0C").isProblem(400))

            // Avatars: initials on a colour chosen by the name, text escaped.
            let named = try await platform.request(.GET, "\(base)/users/avatar.svg?firstName=%C3%A9mile&lastName=Zola")
            #expect(named.status == 200 && named.header("Content-Type") == "image/svg+xml")
            #expect(named.text.hasPrefix("<svg") && named.text.contains(">ÉZ</text>"))
            #expect(try await platform.request(.GET, "\(base)/users/avatar.svg?firstName=%C3%A9mile&lastName=Zola").text == named.text)
            #expect(try await platform.request(.GET, "\(base)/users/avatar.svg?firstName=%3Cb").text.contains(">&lt;</text>"))
            #expect(try await platform.request(.GET, "\(base)/users/avatar.svg").isProblem(400))
            // Control characters and spaces never become an initial (they would make the SVG invalid).
            #expect(try await platform.request(.GET, "\(base)/users/avatar.svg?firstName=Ann&lastName=%01%20Lee").text.contains(">AL</text>"))
            let user = try #require(
                try await platform.request(.POST, "\(base)/users", json: ["email": "zed@example.io", "type": "user"]).json["id"] as? String)
            #expect(try await platform.request(.GET, "\(base)/users/\(user)/avatar.svg").text.contains(">Z</text>"))
        }
    }
}
