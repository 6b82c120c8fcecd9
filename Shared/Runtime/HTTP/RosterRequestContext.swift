import Foundation
import Hummingbird
import NIOCore
import RosterProtocol

/// The request context of every Roster service: who is calling, the request id, the body limit.
///
/// Fields are filled by the runtime's middlewares: `RequestContextMiddleware` (request id,
/// body limit), `AuthenticationMiddleware` (principal) and `ServiceTokenMiddleware` (caller).
public struct RosterRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's valid `X-Request-Id`, or a new one.
    public var requestID: String = ""
    /// The authenticated caller of a public route.
    public var principal: Principal?
    /// The calling service of an `/internal/*` route.
    public var callerService: String?
    /// The largest body this request may send.
    public var bodyLimit: Int = 1 << 20

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { self.bodyLimit }
    public var requestDecoder: JSONDecoder { RosterJSON.makeDecoder() }
    public var responseEncoder: JSONEncoder { RosterJSON.makeEncoder() }

    /// The authenticated principal; throws 401 when the route was reached without one.
    public func requirePrincipal() throws -> Principal {
        guard let principal = self.principal else { throw Problem.unauthorized("Authentication is required.") }
        return principal
    }

    /// The principal, who must be an administrator of its application (API key or admin user).
    public func requireAdmin() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.isAdmin else { throw Problem.forbidden("This operation needs an administrator of the application.") }
        return principal
    }
}
