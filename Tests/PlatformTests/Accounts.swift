import Foundation
import NIOHTTP1
import RosterProtocol
import RosterTestSupport
import Testing

/// Helpers of the account tests: sign-up and sign-in through the real users service.
struct Accounts {
    let platform: TestPlatform
    var base: String { self.platform.url(.users) }

    /// Tokens of a signed-in user.
    struct Session {
        var userID: String
        var accessToken: String
        var refreshToken: String
        var sessionID: String

        var bearer: (String, String) { ("Authorization", "Bearer \(self.accessToken)") }
    }

    /// Registers an account and returns its id.
    @discardableResult
    func register(_ email: String, password: String = "correct horse 1", extra: [String: String] = [:]) async throws -> String {
        var body = extra
        body["email"] = email
        body["password"] = password
        let response = try await self.platform.request(.POST, "\(self.base)/api/v1/auth/register", json: body, authorized: false)
        guard response.status == 201, let id = response.json["id"] as? String else {
            throw TestSetupError("register failed: \(response.status) \(response.text)")
        }
        return id
    }

    /// Signs in and returns the session's tokens.
    func login(_ identifier: String, password: String = "correct horse 1") async throws -> Session {
        let response = try await self.attempt(identifier, password: password)
        guard response.status == 200 else { throw TestSetupError("login failed: \(response.status) \(response.text)") }
        return try Self.session(response)
    }

    func attempt(_ identifier: String, password: String, extra: [String: String] = [:]) async throws -> HTTPResult {
        var body = extra
        body["identifier"] = identifier
        body["password"] = password
        return try await self.platform.request(.POST, "\(self.base)/api/v1/auth/login", json: body, authorized: false)
    }

    func refresh(_ token: String) async throws -> HTTPResult {
        try await self.platform.request(.POST, "\(self.base)/api/v1/auth/refresh", json: ["refreshToken": token], authorized: false)
    }

    /// A request as the signed-in user.
    func asUser(
        _ session: Session, _ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil, service: ServiceName = .users
    ) async throws -> HTTPResult {
        try await self.platform.request(method, self.platform.url(service) + path, json: json, headers: [session.bearer], authorized: false)
    }

    /// A request with the admin API key.
    func asAdmin(_ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil) async throws -> HTTPResult {
        try await self.platform.request(method, self.base + path, json: json)
    }

    static func session(_ response: HTTPResult) throws -> Session {
        guard let user = response.json["user"] as? [String: Any], let id = user["id"] as? String,
            let access = response.json["accessToken"] as? String, let refresh = response.json["refreshToken"] as? String,
            let session = response.json["sessionId"] as? String
        else { throw TestSetupError("no tokens in \(response.text)") }
        return Session(userID: id, accessToken: access, refreshToken: refresh, sessionID: session)
    }
}
