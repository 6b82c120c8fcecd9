import HTTPTypes
import Hummingbird

/// Outermost middleware: gives the request its id and trace context (both in every log line),
/// sets the body limit, and echoes `X-Request-Id` on the response.
///
/// The id replaces Hummingbird's own `hb.request.id` logger metadata, so every log line of
/// the request carries the id the client (or the gateway) sees.
public struct RequestContextMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext
    let bodyLimit: Int
    /// The body limit of `/internal/*` routes, which only services can reach.
    static let internalBodyLimit = 32 << 20

    public init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let incoming = request.headers[.requestID]
        let requestID = incoming.flatMap { RequestMetadata.isValidRequestID($0) ? $0 : nil } ?? RequestMetadata.newRequestID()
        var context = context
        context.requestID = requestID
        // Event batches between services may be larger than any public request.
        context.bodyLimit = request.uri.path.hasPrefix("/internal/") ? max(self.bodyLimit, Self.internalBodyLimit) : self.bodyLimit
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        let metadata = RequestMetadata(requestID: requestID, traceparent: request.headers[.traceparent])
        context.logger[metadataKey: "trace_id"] = .string(metadata.traceID)
        var response = try await RequestMetadata.$current.withValue(metadata) {
            try await next(request, context)
        }
        response.headers[.requestID] = requestID
        return response
    }
}
