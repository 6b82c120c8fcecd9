import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import RosterProtocol

/// Renders every failure below it as an RFC 9457 `application/problem+json` response.
///
/// Known errors (a `Problem`, Hummingbird's `HTTPError`, an oversized body, a decoding error,
/// a database constraint) become their 4xx/503; anything else is a 500 whose cause goes only
/// to the log, never to the client.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = RosterRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = ErrorMapping.problem(for: error, request: request, context: context)
            problem.requestId = context.requestID.isEmpty ? nil : context.requestID
            problem.instance = request.uri.path
            var response = ProblemResponse.make(problem)
            if let limited = error as? TooManyRequests { response.headers[.retryAfter] = String(limited.retryAfter) }
            return response
        }
    }
}

/// Builds the response for a problem; also used where a problem is answered without throwing.
public enum ProblemResponse {
    /// `application/problem+json` with the problem's status (and `WWW-Authenticate` on 401).
    public static func make(_ problem: Problem) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if problem.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        let body = (try? RosterJSON.makeEncoder().encode(problem)) ?? Data("{}".utf8)
        return Response(
            status: HTTPResponse.Status(code: problem.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Translates errors of any layer into problems.
public enum ErrorMapping {
    static func problem(for error: any Error, request: Request, context: RosterRequestContext) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let httpError as HTTPError:
            return Self.problem(for: httpError, request: request)
        case is NIOTooManyBytesError:
            return .payloadTooLarge(limit: context.bodyLimit)
        case let decoding as DecodingError:
            return RequestBodyDecoding.problem(for: decoding)
        case let transaction as PostgresTransactionError:
            let inner: (any Error)? = transaction.closureError ?? transaction.commitError ?? transaction.beginError
            if let inner { return Self.problem(for: inner, request: request, context: context) }
            return Self.unexpected(error, context: context)
        case let database as PSQLError:
            guard let problem = DatabaseErrorMapping.problem(for: database) else { return Self.unexpected(error, context: context) }
            if problem.status >= 500 {
                context.logger.warning(
                    "database error answered as \(problem.status)",
                    metadata: ["sqlstate": "\(database.serverInfo?[.sqlState] ?? "-")", "error.code": "\(database.code)"])
            }
            return problem
        case is CancellationError:
            // Requests are cancelled only when the drain of a stopping service runs out.
            return .unavailable("The service is stopping; retry the request.")
        case let limited as TooManyRequests:
            return limited.problem
        case let call as InternalCallError:
            context.logger.warning("internal call failed", metadata: ["error": "\(call)"])
            return call.problem
        default:
            // PostgresNIO's pool errors live in a module it does not export, so match the type's name.
            if String(describing: type(of: error)).contains("ConnectionPoolError") {
                context.logger.error("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
                return .unavailable("The database is not reachable right now; retry shortly.")
            }
            return Self.unexpected(error, context: context)
        }
    }

    private static func problem(for error: HTTPError, request: Request) -> Problem {
        switch error.status {
        case .notFound:
            return .notFound("No resource at \(request.method.rawValue) \(request.uri.path).")
        case .badRequest:
            return .badRequest(error.body ?? "The request could not be read.")
        case .contentTooLarge:
            return Problem(status: 413, code: "payload_too_large", title: "Payload too large", detail: "The request body is too large.")
        case .methodNotAllowed:
            return Problem(status: 405, code: "method_not_allowed", title: "Method not allowed", detail: "This method is not allowed here.")
        default:
            let status = Int(error.status.code)
            return Problem(
                status: status, code: status >= 500 ? "internal_error" : "http_\(status)",
                title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
        }
    }

    private static func unexpected(_ error: any Error, context: RosterRequestContext) -> Problem {
        context.logger.error(
            "unhandled error", metadata: ["error.type": "\(type(of: error))", "error.detail": "\(String(reflecting: error))"])
        return .internalError()
    }
}
