import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RosterProtocol

/// Response helpers with Roster's JSON conventions (201 + `Location`, 202, 204).
public enum JSONResponses {
    /// `status` with `value` as a JSON body.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = try RosterJSON.makeEncoder().encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// 201 Created with `Location` and the created resource.
    public static func created(_ value: some Encodable, location: String) throws -> Response {
        try self.json(value, status: .created, headers: [.location: location])
    }

    /// A stored JSON answer of `IdempotentWork`, marked `Idempotent-Replayed: true` when it is a replay.
    public static func stored(_ body: Data, status: HTTPResponse.Status = .ok, replayed: Bool, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// 204 No Content.
    public static func noContent() -> Response {
        Response(status: .noContent)
    }
}
