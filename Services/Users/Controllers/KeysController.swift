import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/.well-known/jwks.json` (public) and `/internal/v1/api-keys/introspect` (service token).
struct KeysController: Sendable {
    let signingKeys: SigningKeyRepository
    let apiKeys: APIKeyRepository

    func register(public router: Router<RosterRequestContext>, internal group: RouterGroup<RosterRequestContext>) {
        router.get(".well-known/jwks.json", use: self.jwks)
        group.post("api-keys/introspect", use: self.introspect)
    }

    @Sendable func jwks(_ request: Request, context: RosterRequestContext) async throws -> Response {
        var response = try JSONResponses.json(try await self.signingKeys.publicKeys(logger: context.logger))
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    @Sendable func introspect(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: APIKeyIntrospection.Request.self, context: context)
        return try JSONResponses.json(try await self.apiKeys.introspect(input.key, logger: context.logger))
    }
}
