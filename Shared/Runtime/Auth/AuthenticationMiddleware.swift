import HTTPTypes
import Hummingbird
import RosterProtocol

/// Requires a caller on public API routes: an access JWT, an API key, or a browser session.
///
/// Accepts `Authorization: Bearer <token>` (three dot-separated parts: a JWT; otherwise an
/// API key), else `X-Api-Key: <key>`, else the `roster_access` cookie of browser mode — then every
/// request that changes something must carry the session's `X-CSRF-Token`. Sets
/// `context.principal`; anything else is a 401 problem.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext
    let tokens: AccessTokenVerifier
    let apiKeys: any APIKeyVerifier
    let csrf: CSRFTokens

    public init(tokens: AccessTokenVerifier, apiKeys: any APIKeyVerifier, csrf: CSRFTokens) {
        self.tokens = tokens
        self.apiKeys = apiKeys
        self.csrf = csrf
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let principal = try await self.principal(for: request) else {
            throw Problem.unauthorized("Send Authorization: Bearer <access token or API key>.")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    /// The caller of `request`, `nil` when it sent no credentials at all; invalid credentials
    /// are a 401 problem, a cookie session's mutation without a valid CSRF token a 403.
    public func principal(for request: Request) async throws -> Principal? {
        // `Authorization` wins when both it and `X-Api-Key` are sent.
        if let authorization = request.headers[.authorization] {
            let words = authorization.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let scheme = words.first, scheme.lowercased() == "bearer" else {
                throw Problem.unauthorized("Only the Bearer scheme is accepted.")
            }
            let credential = words.count == 2 ? String(words[1]) : ""
            guard !credential.isEmpty, credential.utf8.count <= 4096 else {
                throw Problem.unauthorized("The bearer credential is malformed.")
            }
            if credential.utf8.lazy.filter({ $0 == UInt8(ascii: ".") }).count == 2 {
                return try await self.tokens.verify(credential)
            }
            return try await self.principal(forAPIKey: credential)
        }
        if let key = request.headers[.apiKey] {
            return try await self.principal(forAPIKey: key)
        }
        if let cookie = SessionCookies.value(SessionCookies.access, in: request.headers) {
            let principal = try await self.tokens.verify(cookie)
            if ![.get, .head, .options].contains(request.method) {
                guard let session = principal.sessionID, let token = request.headers[.csrfToken],
                    self.csrf.isValid(token, for: session)
                else { throw Problem.csrfInvalid }
            }
            return principal
        }
        return nil
    }

    private func principal(forAPIKey key: String) async throws -> Principal {
        guard (16...256).contains(key.utf8.count) else { throw Problem.unauthorized("The API key is not valid.") }
        let answer = try await self.apiKeys.introspect(key)
        guard answer.active, let applicationID = answer.applicationId, let keyID = answer.keyId else {
            throw Problem.unauthorized("The API key is not valid.")
        }
        return Principal(applicationID: applicationID, credential: .apiKey(keyID: keyID, superuser: answer.scope == "superuser"))
    }
}
