import HTTPTypes
import Hummingbird

/// A download streamed as it is written (exports): `Content-Disposition: attachment`, the
/// body produced by `write` chunk by chunk, so nothing is held whole in memory.
public enum AttachmentResponse {
    public static func stream(
        filename: String, contentType: String,
        write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await write(&writer)
            try await writer.finish(nil)
        })
    }
}
