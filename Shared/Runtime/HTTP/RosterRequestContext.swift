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
    /// The address of the TCP peer (the gateway, when there is one).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { self.bodyLimit }
    public var requestDecoder: JSONDecoder { RosterJSON.makeDecoder() }
    public var responseEncoder: JSONEncoder { RosterJSON.makeEncoder() }

    /// The authenticated principal; throws 401 when the route was reached without one.
    public func requirePrincipal() throws -> Principal {
        guard let principal = self.principal else { throw Problem.unauthorized("Authentication is required.") }
        return principal
    }

    /// The `:id` route parameter; a value that is not an id answers 404 like an unknown id.
    public func requireID(_ what: String, parameter: String = "id") throws -> EntityID {
        let text = try self.parameters.require(parameter)
        guard let id = EntityID(text) else { throw Problem.notFound("No \(what) \(text) in this application.") }
        return id
    }

    /// The client's address: `X-Real-IP` as set by the gateway, else the TCP peer.
    ///
    /// Services are reachable only through the gateway in a deployment; one exposed directly
    /// would let clients choose this value.
    public func clientAddress(_ request: Request) -> String {
        if let forwarded = request.headers[.realIP], forwarded.utf8.count <= 64, !forwarded.isEmpty { return forwarded }
        return self.peerAddress ?? "unknown"
    }

    /// The principal, who must be staff (agent, admin or API key) of its application.
    public func requireStaff() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.isStaff else { throw Problem.forbidden("This operation needs staff of the application.") }
        return principal
    }

    /// The signed-in user (routes under `/me`); API keys act for no user.
    public func requireUser() throws -> (principal: Principal, userID: EntityID) {
        let principal = try self.requirePrincipal()
        guard let userID = principal.userID else {
            throw Problem.forbidden("This route acts for a signed-in user; API keys cannot use it.")
        }
        return (principal, userID)
    }

    /// The principal, who must hold a superuser API key.
    public func requireSuperuser() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.isSuperuser else { throw Problem.forbidden("This operation needs a superuser API key.") }
        return principal
    }

    /// The principal, who must be an administrator of its application (API key or admin user).
    public func requireAdmin() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.isAdmin else { throw Problem.forbidden("This operation needs an administrator of the application.") }
        return principal
    }
}
