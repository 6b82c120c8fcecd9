/// An RFC 9457 problem document: the body of every error response in Roster.
///
/// `code` is a stable machine-readable identifier (`validation_error`, `not_found`, ...);
/// `errors` lists per-field failures for validation problems.
public struct Problem: Error, Codable, Sendable, Equatable {
    /// One failing field of a validation problem.
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var code: String
        public var message: String

        public init(field: String, code: String, message: String) {
            self.field = field
            self.code = code
            self.message = message
        }
    }

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: String
    public var errors: [FieldError]?
    public var instance: String?
    public var requestId: String?
    /// Seconds to wait before retrying, for a 429 (also sent as `Retry-After`).
    public var retryAfter: Int?

    public init(
        status: Int, code: String, title: String, detail: String,
        errors: [FieldError]? = nil, instance: String? = nil
    ) {
        self.type = Problem.typeURI(code)
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.errors = errors
        self.instance = instance
        self.requestId = nil
    }

    /// The `type` URI for a problem code; resolvable documentation lives under this prefix.
    public static func typeURI(_ code: String) -> String {
        "https://roster.dev/problems/\(code.replacingOccurrences(of: "_", with: "-"))"
    }
}

extension Problem {
    /// 400: the request could not be read (malformed JSON, wrong types, bad query syntax).
    public static func badRequest(_ detail: String, code: String = "bad_request", errors: [FieldError]? = nil) -> Problem {
        Problem(status: 400, code: code, title: "Bad request", detail: detail, errors: errors)
    }

    /// 422: the request was read but its values break a rule.
    public static func validation(_ detail: String, errors: [FieldError]) -> Problem {
        Problem(status: 422, code: "validation_error", title: "Validation failed", detail: detail, errors: errors)
    }

    /// 401: no credentials, or credentials that are not valid.
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(status: 401, code: "unauthorized", title: "Unauthorized", detail: detail)
    }

    /// 403: valid credentials without the right to do this.
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: 403, code: "forbidden", title: "Forbidden", detail: detail)
    }

    /// 404: no such resource in the caller's application.
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: 404, code: "not_found", title: "Not found", detail: detail)
    }

    /// 409: the change conflicts with the current state (duplicate value, stale version).
    public static func conflict(_ detail: String, code: String = "conflict") -> Problem {
        Problem(status: 409, code: code, title: "Conflict", detail: detail)
    }

    /// 413: the body is larger than this endpoint accepts.
    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            status: 413, code: "payload_too_large", title: "Payload too large",
            detail: "The request body exceeds the limit of \(limit) bytes.")
    }

    /// 503: a dependency (database, sibling service) is not available right now.
    public static func unavailable(_ detail: String) -> Problem {
        Problem(status: 503, code: "service_unavailable", title: "Service unavailable", detail: detail)
    }

    /// 500: something failed that the client cannot fix; the cause is only in the log.
    public static func internalError() -> Problem {
        Problem(
            status: 500, code: "internal_error", title: "Internal server error",
            detail: "The server failed to handle the request. Quote the request id when reporting it.")
    }
}

/// A field error can be the failure of a `Result`, as validators return it.
extension Problem.FieldError: Error {}
