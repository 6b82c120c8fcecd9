import HTTPTypes
import Hummingbird

/// Outermost middleware: gives the request its id and trace context, sets the body limit,
/// and echoes `X-Request-Id` on the response.
///
/// The id replaces Hummingbird's own `hb.request.id` logger metadata, so every log line of
/// the request carries the id the client (or the gateway) sees.
public struct RequestContextMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext
    let bodyLimit: Int

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
        context.bodyLimit = self.bodyLimit
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        let metadata = RequestMetadata(requestID: requestID, traceparent: request.headers[.traceparent])
        var response = try await RequestMetadata.$current.withValue(metadata) {
            try await next(request, context)
        }
        response.headers[.requestID] = requestID
        return response
    }
}
