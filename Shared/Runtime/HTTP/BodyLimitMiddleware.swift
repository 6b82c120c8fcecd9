import Hummingbird
import RosterProtocol

/// Refuses a body whose declared `Content-Length` is over the limit before reading any of it.
///
/// Bodies without a length (chunked) are cut off while being read (`collect(upTo:)`), which
/// `ProblemMiddleware` turns into the same 413.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > context.bodyLimit {
            throw Problem.payloadTooLarge(limit: context.bodyLimit)
        }
        return try await next(request, context)
    }
}
