import HTTPTypes
import Hummingbird
import RosterProtocol

/// `ETag` / `If-Match` for resources that carry a version number (definitions, groups, segments).
///
/// The tag is the version in quotes. An update with `If-Match` that names another version is
/// refused with 412, so two editors cannot overwrite each other unknowingly; without the
/// header the update applies (last writer wins). A header that is no ETag at all is a 400.
public enum EntityTag {
    public static func value(version: Int) -> String { "\"\(version)\"" }

    /// The version the request's `If-Match` requires, `nil` when it has none (or `*`).
    public static func requiredVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return nil }
        var text = Substring(header)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        guard text.count >= 3, text.first == "\"", text.last == "\"", let version = Int(text.dropFirst().dropLast()) else {
            throw Problem.badRequest(
                "If-Match must be an ETag this API returned, such as \"3\".", code: "invalid_header",
                errors: [.init(field: "If-Match", code: "invalid_header", message: "an ETag such as \"3\"")])
        }
        return version
    }

    /// Throws 412 when `required` (from `requiredVersion`) is set and is not `current`.
    public static func check(required: Int?, current: Int) throws {
        if let required, required != current {
            throw Problem.preconditionFailed("The resource changed since it was read (now version \(current)); read it again and retry.")
        }
    }

    /// A JSON response with the resource's `ETag`.
    public static func json(_ value: some Encodable, version: Int, status: HTTPResponse.Status = .ok, location: String? = nil) throws
        -> Response
    {
        var headers: HTTPFields = [.eTag: self.value(version: version)]
        if let location { headers[.location] = location }
        return try JSONResponses.json(value, status: status, headers: headers)
    }
}

extension Problem {
    /// 412: `If-Match` names a version that is no longer current.
    public static func preconditionFailed(_ detail: String) -> Problem {
        Problem(status: 412, code: "precondition_failed", title: "Precondition failed", detail: detail)
    }
}
