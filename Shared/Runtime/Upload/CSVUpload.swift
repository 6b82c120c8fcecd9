import Crypto
import Foundation
import Hummingbird
import NIOFileSystem
import RosterProtocol

/// A `text/csv` upload, first written to a temporary file as it arrives, then read record by
/// record in batches.
///
/// Spooling first means a slow client never holds a database connection or a transaction:
/// the work on the file starts once all of it is here. Memory stays flat either way (the
/// file is read in 64 KiB chunks). The file is in `TMPDIR` and is removed afterwards.
public struct CSVUpload: Sendable {
    let path: FilePath
    /// SHA-256 of the file's bytes (hex), to tell one upload from another.
    public let digest: String

    /// Whether the request declares a CSV body.
    public static func isCSV(_ request: Request) -> Bool {
        request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "text/csv"
    }

    /// Receives the request's CSV body (415 if it is not one, 413 over the body limit) and
    /// calls `body` with it; the file is removed whatever happens.
    public static func receive<T>(
        _ request: Request, context: RosterRequestContext, _ body: (CSVUpload) async throws -> T
    ) async throws -> T {
        guard self.isCSV(request) else {
            throw Problem(status: 415, code: "unsupported_media_type", title: "Unsupported media type", detail: "Send the file as text/csv.")
        }
        return try await self.spooled(
            { spool in try await self.forEachChunk(of: request, context: context) { try await spool.write($0) } },
            then: body)
    }

    /// Calls `handle` with each chunk of the request's body as it arrives; 413 once the body
    /// passes the request's limit.
    static func forEachChunk(
        of request: Request, context: RosterRequestContext, _ handle: (ByteBuffer) async throws -> Void
    ) async throws {
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            guard received <= context.bodyLimit else { throw Problem.payloadTooLarge(limit: context.bodyLimit) }
            try await handle(chunk)
        }
    }

    /// Writes what `fill` writes into a new temporary file, hands the file to `body` and
    /// removes it afterwards, whatever happens.
    static func spooled<T>(_ fill: (inout UploadSpool) async throws -> Void, then body: (CSVUpload) async throws -> T) async throws -> T {
        let path = FilePath(FileManager.default.temporaryDirectory.appendingPathComponent("roster-upload-\(UUID().uuidString).csv").path)
        do {
            let digest = try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: false)) { handle in
                var spool = UploadSpool(writer: handle.bufferedWriter())
                try await fill(&spool)
                try await spool.writer.flush()
                return Hex.encode(spool.hash.finalize())
            }
            let result = try await body(CSVUpload(path: path, digest: digest))
            _ = try? await FileSystem.shared.removeItem(at: path)
            return result
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: path)
            throw error
        }
    }

    /// Calls `handle` with batches of at most `batchSize` records, in file order.
    ///
    /// Malformed CSV is a 400 `malformed_csv` naming the line; `recoveringRows` makes bad
    /// quoting an `error` of its record instead (see `CSVParser`).
    public func read(batchSize: Int = 1_000, recoveringRows: Bool = false, _ handle: ([CSVRecord]) async throws -> Void) async throws {
        var parser = CSVParser(recoveringRows: recoveringRows)
        var pending: [CSVRecord] = []
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: self.path) { file in
                for try await chunk in file.readChunks(in: 0..., chunkLength: .kibibytes(64)) {
                    pending += try parser.feed(chunk.readableBytesView)
                    while pending.count >= batchSize {
                        try await handle(Array(pending.prefix(batchSize)))
                        pending.removeFirst(batchSize)
                    }
                }
            }
            pending += try parser.finish()
        } catch let error as CSVError {
            throw Problem.badRequest("The CSV file is malformed at line \(error.line): \(error.message).", code: "malformed_csv")
        }
        if !pending.isEmpty { try await handle(pending) }
    }
}

/// Where an upload goes as it arrives: a temporary file, and the SHA-256 of what went in.
struct UploadSpool {
    var writer: BufferedWriter<WriteFileHandle>
    var hash = SHA256()

    mutating func write(_ bytes: ByteBuffer) async throws {
        self.hash.update(data: Data(bytes.readableBytesView))
        try await self.writer.write(contentsOf: bytes)
    }
}
