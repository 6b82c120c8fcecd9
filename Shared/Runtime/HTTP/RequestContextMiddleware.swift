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
    let uploadLimit: Int
    /// Last path segments of bulk endpoints, which get `uploadLimit`.
    let bulkEndpoints: Set<String>
    /// The body limit of `/internal/*` routes, which only services can reach.
    static let internalBodyLimit = 32 << 20
    /// The body limit of JSON bulk requests (100,000 ids or rows fit in about 8 MiB).
    static let bulkJSONLimit = 16 << 20

    public init(bodyLimit: Int, uploadLimit: Int? = nil, bulkEndpoints: Set<String> = []) {
        self.bodyLimit = bodyLimit
        self.uploadLimit = max(bodyLimit, uploadLimit ?? bodyLimit)
        self.bulkEndpoints = bulkEndpoints
    }

    /// The largest body this request may carry.
    func limit(for request: Request) -> Int {
        let path = request.uri.path
        // Event batches between services may be larger than any public request.
        if path.hasPrefix("/internal/") { return max(self.uploadLimit, Self.internalBodyLimit) }
        // A request without a body type (every read) needs none of the header parsing below.
        guard request.headers[.contentType] != nil else { return self.bodyLimit }
        // CSV and multipart uploads are streamed to a file; a JSON body is held whole, so bulk JSON gets less room.
        if CSVUpload.isCSV(request) || MultipartUpload.isMultipart(request) { return self.uploadLimit }
        if let last = path.split(separator: "/").last, self.bulkEndpoints.contains(String(last)) {
            return min(self.uploadLimit, Self.bulkJSONLimit)
        }
        return self.bodyLimit
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let incoming = request.headers[.requestID]
        let requestID = incoming.flatMap { RequestMetadata.isValidRequestID($0) ? $0 : nil } ?? RequestMetadata.newRequestID()
        var context = context
        context.requestID = requestID
        context.bodyLimit = self.limit(for: request)
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
