import Hummingbird
import RosterProtocol

/// Requires a valid service token on every `/internal/*` route; sets `context.callerService`.
public struct ServiceTokenMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext
    let tokens: ServiceTokens

    public init(tokens: ServiceTokens) {
        self.tokens = tokens
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer "),
            let caller = await self.tokens.verify(String(authorization.dropFirst(7)))
        else {
            throw Problem.unauthorized("Internal routes need a valid service token.")
        }
        var context = context
        context.callerService = caller
        return try await next(request, context)
    }
}
