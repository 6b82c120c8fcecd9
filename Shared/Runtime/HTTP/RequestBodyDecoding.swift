import Foundation
import Hummingbird
import NIOCore
import RosterProtocol

/// Reads JSON request bodies with Roster's rules: the body limit, a JSON content type, and
/// decoding errors reported as 400 problems naming the field (`email: expected a string`).
public enum RequestBodyDecoding {
    /// Collects the body (up to the context's limit) and decodes it as `type`.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: RosterRequestContext) async throws -> T {
        try await self.decodeKeepingBody(type, from: request, context: context).value
    }

    /// `decode`, also returning the body's bytes (an idempotent request fingerprints them).
    public static func decodeKeepingBody<T: Decodable>(
        _ type: T.Type, from request: Request, context: RosterRequestContext
    ) async throws -> (value: T, body: Data) {
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw Problem(
                status: 415, code: "unsupported_media_type", title: "Unsupported media type",
                detail: "Send the body as application/json.")
        }
        let buffer = try await request.body.collect(upTo: context.bodyLimit)
        guard buffer.readableBytes > 0 else {
            throw Problem.badRequest("The request needs a JSON body.", code: "malformed_json")
        }
        let data = Data(buffer.readableBytesView)
        if Self.containsEscapedNUL(data) {
            throw Problem.badRequest("Strings must not contain the NUL character (\\u0000).", code: "invalid_value")
        }
        do {
            return (try RosterJSON.makeDecoder().decode(T.self, from: data), data)
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        }
    }

    /// Whether the JSON text holds a `\u0000` escape (an odd run of backslashes before `u0000`).
    ///
    /// PostgreSQL cannot store NUL in text, so such strings are refused here, up front, with a
    /// 400 instead of failing later in the database.
    static func containsEscapedNUL(_ data: Data) -> Bool {
        let bytes = [UInt8](data)
        let pattern: [UInt8] = Array("u0000".utf8)
        var index = 1
        while index + pattern.count <= bytes.count {
            if bytes[index - 1] == UInt8(ascii: "\\"), Array(bytes[index..<index + pattern.count]) == pattern {
                var backslashes = 0
                var back = index - 1
                while back >= 0, bytes[back] == UInt8(ascii: "\\") {
                    backslashes += 1
                    back -= 1
                }
                if backslashes % 2 == 1 { return true }
            }
            index += 1
        }
        return false
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return mediaType == "application/json" || mediaType.hasSuffix("+json")
    }

    /// A 400 problem for a decoding failure, with the failing field's path.
    public static func problem(for error: DecodingError) -> Problem {
        switch error {
        case .typeMismatch(let type, let context):
            let field = Self.path(context.codingPath)
            return .badRequest(
                "\(field.isEmpty ? "The body" : field) has the wrong type: expected \(Self.describe(type)).",
                code: "invalid_type",
                errors: [.init(field: field, code: "invalid_type", message: "expected \(Self.describe(type))")])
        case .valueNotFound(let type, let context):
            let field = Self.path(context.codingPath)
            return .badRequest(
                "\(field) must not be null: expected \(Self.describe(type)).", code: "invalid_type",
                errors: [.init(field: field, code: "required", message: "must not be null")])
        case .keyNotFound(let key, let context):
            let field = Self.path(context.codingPath + [key])
            return .badRequest(
                "\(field) is required.", code: "missing_field",
                errors: [.init(field: field, code: "required", message: "is required")])
        case .dataCorrupted(let context):
            let field = Self.path(context.codingPath)
            if context.codingPath.isEmpty {
                return .badRequest("The body is not valid JSON.", code: "malformed_json")
            }
            return .badRequest(
                "\(field) is not valid: \(context.debugDescription)", code: "invalid_value",
                errors: [.init(field: field, code: "invalid_value", message: context.debugDescription)])
        @unknown default:
            return .badRequest("The body could not be read.", code: "malformed_json")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            .joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is EntityID.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is Date.Type: "an RFC 3339 timestamp"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "\(type)")
        }
    }
}

extension Request {
    /// Decodes the JSON body as `type`; see `RequestBodyDecoding`.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: RosterRequestContext) async throws -> T {
        try await RequestBodyDecoding.decode(type, from: self, context: context)
    }

    /// Decodes the JSON body as `type`, or returns `nil` when the request has no body.
    public func decodeJSONIfPresent<T: Decodable>(as type: T.Type, context: RosterRequestContext) async throws -> T? {
        let declared = self.headers[.contentLength].flatMap(Int.init)
        if declared == 0 || (declared == nil && self.headers[.transferEncoding] == nil) { return nil }
        return try await RequestBodyDecoding.decode(type, from: self, context: context)
    }
}
