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
        let path = FilePath(FileManager.default.temporaryDirectory.appendingPathComponent("roster-upload-\(UUID().uuidString).csv").path)
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: false)) { handle in
                var writer = handle.bufferedWriter()
                var received = 0
                for try await chunk in request.body {
                    received += chunk.readableBytes
                    guard received <= context.bodyLimit else { throw Problem.payloadTooLarge(limit: context.bodyLimit) }
                    try await writer.write(contentsOf: chunk)
                }
                try await writer.flush()
            }
            let result = try await body(CSVUpload(path: path))
            _ = try? await FileSystem.shared.removeItem(at: path)
            return result
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: path)
            throw error
        }
    }

    /// Calls `handle` with batches of at most `batchSize` records, in file order.
    ///
    /// Malformed CSV is a 400 `malformed_csv` naming the line.
    public func read(batchSize: Int = 1_000, _ handle: ([CSVRecord]) async throws -> Void) async throws {
        var parser = CSVParser()
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
