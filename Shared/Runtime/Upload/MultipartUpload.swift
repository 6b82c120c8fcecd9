import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import RosterProtocol

/// A `multipart/form-data` upload: one file part spooled to a temporary file as it arrives
/// (memory stays flat, as with `CSVUpload`) and small text fields beside it.
///
/// The body is parsed as it streams in (multipart-kit's parser); a body that ends before the
/// file part's closing boundary — a cut-off upload — is refused, so nothing is ever done with
/// half a file (nor with a file whose later fields were lost): the body must end with its
/// closing boundary.
public struct MultipartUpload: Sendable {
    /// The file part, read as CSV.
    public let file: CSVUpload
    /// The name the client gave the file, if any.
    public let fileName: String?
    /// The text fields by name.
    public let fields: [String: String]

    /// The most bytes all text fields together may hold (a column mapping, say).
    public static let maxFieldBytes = 64 << 10

    /// The boundary of a `multipart/form-data` body, or `nil` when the request is not one.
    public static func boundary(of request: Request) -> String? {
        guard self.isMultipart(request), let contentType = request.headers[.contentType],
            let value = PartCollector.parameters(contentType)["boundary"]
        else { return nil }
        return (1...70).contains(value.utf8.count) ? value : nil
    }

    /// Whether the request declares a multipart body (its boundary may still be missing).
    public static func isMultipart(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true
    }

    /// Receives the request's multipart body and calls `body` with it; the file is removed
    /// whatever happens. 400 when the body is malformed, cut off, or has no part named
    /// `fileField`; 413 over the body limit.
    public static func receive<T>(
        _ request: Request, context: RosterRequestContext, fileField: String = "file", _ body: (MultipartUpload) async throws -> T
    ) async throws -> T {
        guard let boundary = self.boundary(of: request) else {
            throw Problem.badRequest("Send the file as multipart/form-data with a boundary.", code: "malformed_multipart")
        }
        let parts = PartCollector(fileField: fileField)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in parts.header(name: name, value: value) }
        parser.onBody = { buffer in parts.body(&buffer) }
        parser.onPartComplete = { parts.complete() }
        // The body's last bytes: a complete body ends with the closing boundary.
        let closing = Array("--\(boundary)--".utf8)
        var tail: [UInt8] = []
        return try await CSVUpload.spooled(
            { spool in
                try await CSVUpload.forEachChunk(of: request, context: context) { chunk in
                    do {
                        try parser.execute(chunk)
                    } catch {
                        throw Problem.badRequest("The multipart body is malformed.", code: "malformed_multipart")
                    }
                    if let problem = parts.problem { throw problem }
                    if parts.pendingFileBytes.readableBytes > 0 {
                        try await spool.write(parts.pendingFileBytes)
                        parts.pendingFileBytes.clear()
                    }
                    tail = Array((tail + chunk.readableBytesView.suffix(closing.count + 64)).suffix(closing.count + 64))
                }
                guard parts.fileComplete, tail.firstRange(of: closing) != nil else {
                    throw Problem.badRequest(
                        parts.fileStarted
                            ? "The upload ended before the file part did (was it cut off?); nothing was done with it."
                            : "The multipart body has no part named \(fileField).",
                        code: "malformed_multipart")
                }
            },
            then: { file in try await body(MultipartUpload(file: file, fileName: parts.fileName, fields: parts.fields)) })
    }
}

/// Gathers the parts as the parser reports them: file bytes to be written out, text fields
/// kept (each at most `MultipartUpload.maxFieldBytes`).
private final class PartCollector {
    let fileField: String
    var fields: [String: String] = [:]
    var fileName: String?
    var fileStarted = false
    var fileComplete = false
    var pendingFileBytes = ByteBuffer()
    var problem: Problem?
    private var partName: String?
    private var fieldBytes = ByteBuffer()
    /// All text fields' bytes so far.
    private var textBytes = 0

    init(fileField: String) { self.fileField = fileField }

    private var inFile: Bool { self.partName == self.fileField }

    func header(name: String, value: String) {
        guard name.lowercased() == "content-disposition" else { return }
        let parameters = Self.parameters(value)
        self.partName = parameters["name"]
        if self.inFile {
            if self.fileStarted { self.problem = Problem.badRequest("Send one \(self.fileField) part only.", code: "malformed_multipart") }
            self.fileStarted = true
            self.fileName = parameters["filename"]
        }
    }

    func body(_ buffer: inout ByteBuffer) {
        if self.inFile {
            self.pendingFileBytes.writeBuffer(&buffer)
        } else if self.textBytes + buffer.readableBytes > MultipartUpload.maxFieldBytes {
            self.problem = Problem.badRequest(
                "The form fields beside the file hold more than \(MultipartUpload.maxFieldBytes) bytes.", code: "malformed_multipart")
        } else {
            self.textBytes += buffer.readableBytes
            self.fieldBytes.writeBuffer(&buffer)
        }
    }

    func complete() {
        if self.inFile {
            self.fileComplete = true
        } else if let name = self.partName {
            self.fields[name] = String(buffer: self.fieldBytes)
        }
        self.fieldBytes.clear()
        self.partName = nil
    }

    /// The parameters after a header's first value, names lowercased:
    /// `form-data; name="file"; filename="a.csv"` → `["name": "file", "filename": "a.csv"]`.
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in value.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            result[pair[0].lowercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return result
    }
}
