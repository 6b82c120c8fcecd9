import Crypto
import Foundation
import JWTKit
import Logging
import RosterProtocol
import Testing

@testable import RosterRuntime

/// The local access-token check: concurrent first requests, and keys the users service withdrew.
@Suite struct AccessTokenVerifierTests {
    /// A key source that answers slowly with whatever key set it holds now.
    actor SlowKeySource: JWKSSource {
        var jwks: JWKS
        private(set) var fetches = 0
        init(_ jwks: JWKS) { self.jwks = jwks }
        func replace(_ jwks: JWKS) { self.jwks = jwks }
        func fetchJWKS() async throws -> JWKS {
            self.fetches += 1
            try await Task.sleep(for: .milliseconds(200))
            return self.jwks
        }
    }

    let privateKey = Curve25519.Signing.PrivateKey()
    let kid = "test-key"

    var jwks: JWKS {
        JWKS(keys: [
            JWK.octetKeyPair(
                .eddsa, identifier: JWKIdentifier(string: self.kid), x: Base64URL.encode(self.privateKey.publicKey.rawRepresentation),
                y: nil, curve: .ed25519)
        ])
    }

    func token(userID: EntityID = .generate()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.addSigning(eddsa: try EdDSA.PrivateKey(backing: self.privateKey), kid: JWKIdentifier(string: self.kid))
        let now = Date()
        let claims = AccessTokenClaims(
            userID: userID.description, applicationID: EntityID.generate().description, role: "user", sessionID: nil,
            issuedAt: now, expiresAt: now.addingTimeInterval(300))
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.kid))
    }

    @Test func requestsArrivingWhileTheFirstKeySetLoadsAllPass() async throws {
        let source = SlowKeySource(self.jwks)
        let verifier = AccessTokenVerifier(source: source, refreshInterval: 3600, logger: Logger(label: "test"))
        let tokens = try await (0..<20).asyncMap { _ in try await self.token() }
        let results = await withTaskGroup(of: Bool.self) { group in
            for token in tokens { group.addTask { (try? await verifier.verify(token)) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 }, "\(results.filter { !$0 }.count) of 20 concurrent first requests were refused")
        #expect(await source.fetches == 1)
    }

    @Test func aWithdrawnKeysTokensStopWorking() async throws {
        let source = SlowKeySource(self.jwks)
        let verifier = AccessTokenVerifier(source: source, refreshInterval: 0, logger: Logger(label: "test"))
        let token = try await self.token()
        _ = try await verifier.verify(token)
        await source.replace(JWKS(keys: []))
        // Past the refresh gap, another token's check reloads the (now empty) key set.
        try await Task.sleep(for: .seconds(AccessTokenVerifier.unknownKIDRefreshGap + 0.5))
        await #expect(throws: Problem.self) { try await verifier.verify(try await self.token()) }
        await #expect(throws: Problem.self) { try await verifier.verify(token) }
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
