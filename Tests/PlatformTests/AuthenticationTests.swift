import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import Logging
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// Credentials on public and internal routes of every service.
@Suite(.serialized) struct AuthenticationTests {
    static let publicRoutes: [(ServiceName, String)] = [
        (.users, "/api/v1/users"), (.audience, "/api/v1/audience/users/\(EntityID.generate())"),
    ]

    @Test func everyServiceRequiresCredentialsAndServiceTokens() async throws {
        try await withPlatform { platform in
            for (service, path) in Self.publicRoutes {
                let none = try await platform.request(.GET, platform.url(service) + path, authorized: false)
                #expect(none.isProblem(401), "\(service) \(path) without credentials")
                #expect(none.header("WWW-Authenticate") == "Bearer")
                let wrong = try await platform.request(
                    .GET, platform.url(service) + path, headers: [("Authorization", "Bearer rk_AAAAAAAA_\(String(repeating: "B", count: 32))")],
                    authorized: false)
                #expect(wrong.isProblem(401), "\(service) with an unknown API key")
                let scheme = try await platform.request(
                    .GET, platform.url(service) + path, headers: [("Authorization", "Basic dXNlcjpwYXNz")], authorized: false)
                #expect(scheme.isProblem(401))
            }
            // The same API key works on audience (checked through users' introspection), also as X-Api-Key.
            let viaHeader = try await platform.request(
                .GET, platform.url(.audience) + Self.publicRoutes[1].1, headers: [("X-Api-Key", platform.apiKey)], authorized: false)
            #expect(viaHeader.isProblem(404))

            let valid = try await ServiceTokens(secret: platform.serviceSecret, service: .users).token()
            let forged = try await ServiceTokens(secret: String(repeating: "f", count: 40), service: .users).token()
            for service in ServiceName.allCases {
                let url = platform.url(service) + "/internal/v1/ping"
                #expect(try await platform.request(.GET, url, authorized: false).isProblem(401), "\(service) ping without a token")
                #expect(try await platform.request(.GET, url).isProblem(401), "\(service) ping with an API key")
                let bad = try await platform.request(.GET, url, headers: [("Authorization", "Bearer \(forged)")], authorized: false)
                #expect(bad.isProblem(401), "\(service) ping with a forged token")
                let good = try await platform.request(.GET, url, headers: [("Authorization", "Bearer \(valid)")], authorized: false)
                #expect(good.status == 200)
                #expect(try good.decode(PingResponse.self) == PingResponse(service: service.rawValue, caller: "users"))
            }
        }
    }

    /// An internal call made for a request carries its request id, its trace and a service token.
    @Test func internalCallsCarryTheRequestIDAndTrace() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let response = try await platform.request(
                .GET, platform.url(.audience) + "/api/v1/audience/users/\(EntityID.generate())",
                headers: [("X-Request-Id", "propagated-1"), ("traceparent", "00-\(traceID)-00f067aa0ba902b7-01")])
            #expect(response.isProblem(404), "authenticated through users' introspection")
            let introspection = platform.process(.users).log().split(separator: "\n").filter {
                $0.contains("\"http.path\":\"/internal/v1/api-keys/introspect\"")
            }
            #expect(introspection.count == 1)
            #expect(introspection.first?.contains("\"request_id\":\"propagated-1\"") == true)
            #expect(introspection.first?.contains("\"trace_id\":\"\(traceID)\"") == true)
            // The answer is cached: a second request does not call users again.
            _ = try await platform.request(.GET, platform.url(.audience) + "/api/v1/audience/users/\(EntityID.generate())")
            #expect(platform.process(.users).log().components(separatedBy: "/internal/v1/api-keys/introspect").count == 2)
        }
    }

    @Test func anUnreachableServiceIsAnUnavailableError() async throws {
        let port = try Shell.freePort()
        let http = ServiceRuntime.makeHTTPClient(logger: Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        let client = InternalClient(
            http: http, peers: [.users: URL(string: "http://127.0.0.1:\(port)")!],
            tokens: await ServiceTokens(secret: String(repeating: "s", count: 40), service: .audience), timeout: .seconds(2), retries: 2,
            logger: Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        let start = ContinuousClock.now
        await #expect(throws: InternalCallError.self) {
            _ = try await client.send(.users, .GET, "/internal/v1/ping", idempotent: true)
        }
        #expect(ContinuousClock.now - start < .seconds(5), "bounded retries, no hang")
        try await http.shutdown()
    }

    /// An access JWT signed with the users service's key (read from its table, as a token
    /// issuer would use it) is verified by audience against the published JWKS.
    @Test func accessTokensAreVerifiedLocallyAgainstTheJWKS() async throws {
        try await withPlatform([.users, .audience]) { platform in
            let row = try platform.database.sql("SELECT kid || '|' || encode(private_key, 'hex') FROM users.signing_keys").split(separator: "|")
            let kid = String(row[0])
            let seed = Data(hex: String(row[1]))
            let application = try platform.database.sql("SELECT id FROM users.applications")
            let keys = JWTKeyCollection()
            await keys.add(eddsa: EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: seed)), kid: JWKIdentifier(string: kid))
            let stranger = JWTKeyCollection()
            await stranger.add(eddsa: try EdDSA.PrivateKey(), kid: JWKIdentifier(string: kid))
            let otherKid = JWTKeyCollection()
            await otherKid.add(eddsa: EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: seed)), kid: "ed-unknown")

            func claims(role: String, expires: TimeInterval = 300) -> AccessTokenClaims {
                AccessTokenClaims(
                    userID: EntityID.generate().description, applicationID: application, role: role, sessionID: nil,
                    issuedAt: Date(), expiresAt: Date().addingTimeInterval(expires))
            }
            func get(_ token: String) async throws -> HTTPResult {
                try await platform.request(
                    .GET, platform.url(.audience) + "/api/v1/audience/users/\(EntityID.generate())",
                    headers: [("Authorization", "Bearer \(token)")], authorized: false)
            }
            #expect(try await get(try await keys.sign(claims(role: "admin"), kid: JWKIdentifier(string: kid))).isProblem(404))
            #expect(try await get(try await keys.sign(claims(role: "user"), kid: JWKIdentifier(string: kid))).isProblem(403))
            #expect(try await get(try await keys.sign(claims(role: "admin", expires: -60), kid: JWKIdentifier(string: kid))).isProblem(401))
            #expect(try await get(try await stranger.sign(claims(role: "admin"), kid: JWKIdentifier(string: kid))).isProblem(401))
            #expect(try await get(try await otherKid.sign(claims(role: "admin"), kid: "ed-unknown")).isProblem(401))
            let token = try await keys.sign(claims(role: "admin"), kid: JWKIdentifier(string: kid))
            var tampered = Array(token)
            tampered[tampered.count - 5] = tampered[tampered.count - 5] == "A" ? "B" : "A"
            #expect(try await get(String(tampered)).isProblem(401))
            #expect(try await get("not.a.jwt").isProblem(401))
        }
    }

    @Test func theBootstrapKeyIsPrintedOnceAndStoredOnlyHashed() async throws {
        try await withPlatform([], environment: ["ROSTER_BOOTSTRAP_API_KEY": ""]) { platform in
            let users = platform.process(.users)
            try await users.startAndWait(http: platform.http)
            let log = users.log()
            let keys = log.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("rk_") }.map(String.init)
            #expect(keys.count == 1, "the banner shows the key once")
            let key = try #require(keys.first)
            let listed = try await platform.request(
                .GET, platform.url(.users) + "/api/v1/users", headers: [("Authorization", "Bearer \(key)")], authorized: false)
            #expect(listed.status == 200)
            for line in log.split(separator: "\n") where line.hasPrefix("{") {
                #expect(!line.contains(key), "no JSON log line holds the key")
            }
            let stored = try platform.database.sql("SELECT prefix || ' ' || encode(secret_hash, 'hex') FROM users.api_keys")
            #expect(!stored.contains(key) && stored.hasPrefix(String(key.split(separator: "_")[1])))
            #expect(stored.contains(Data(SHA256.hash(data: Data(key.utf8))).map { String(format: "%02x", $0) }.joined()))

            try await users.stop()
            try await users.startAndWait(http: platform.http)
            #expect(users.log().components(separatedBy: key).count == 2, "a second start prints nothing")
        }
    }
}

extension Data {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}
