import HTTPTypes
import Hummingbird
import RosterProtocol

/// Requires a caller on public API routes: an access JWT or an API key.
///
/// Accepts `Authorization: Bearer <token>` (three dot-separated parts: a JWT; otherwise an
/// API key) or `X-Api-Key: <key>`. Sets `context.principal`; anything else is a 401 problem.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext
    let tokens: AccessTokenVerifier
    let apiKeys: any APIKeyVerifier

    public init(tokens: AccessTokenVerifier, apiKeys: any APIKeyVerifier) {
        self.tokens = tokens
        self.apiKeys = apiKeys
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.principal = try await self.authenticate(request)
        return try await next(request, context)
    }

    func authenticate(_ request: Request) async throws -> Principal {
        if let key = request.headers[.apiKey] {
            return try await self.principal(forAPIKey: key)
        }
        guard let authorization = request.headers[.authorization] else {
            throw Problem.unauthorized("Send Authorization: Bearer <access token or API key>.")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("Only the Bearer scheme is accepted.")
        }
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        guard !credential.isEmpty, credential.utf8.count <= 4096 else { throw Problem.unauthorized("The bearer credential is malformed.") }
        if credential.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            return try await self.tokens.verify(credential)
        }
        return try await self.principal(forAPIKey: credential)
    }

    private func principal(forAPIKey key: String) async throws -> Principal {
        guard (16...256).contains(key.utf8.count) else { throw Problem.unauthorized("The API key is not valid.") }
        let answer = try await self.apiKeys.introspect(key)
        guard answer.active, let applicationID = answer.applicationId, let keyID = answer.keyId else {
            throw Problem.unauthorized("The API key is not valid.")
        }
        return Principal(applicationID: applicationID, credential: .apiKey(keyID: keyID))
    }
}
