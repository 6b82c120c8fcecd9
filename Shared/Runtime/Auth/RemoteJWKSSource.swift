import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore

/// Fetches the users service's public JWKS (`GET /.well-known/jwks.json`).
public struct RemoteJWKSSource: JWKSSource {
    let http: HTTPClient
    let url: URL

    public init(http: HTTPClient, usersURL: URL) {
        self.http = http
        self.url = usersURL.appendingPathComponent(".well-known/jwks.json")
    }

    public func fetchJWKS() async throws -> JWKS {
        let request = HTTPClientRequest(url: self.url.absoluteString)
        let response = try await self.http.execute(request, timeout: .seconds(5))
        guard response.status == .ok else { throw InternalCallError.unavailable(service: .users, reason: "JWKS answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(JWKS.self, from: Data(body.readableBytesView))
    }
}
