import Logging
import NIOCore
import PostgresNIO

/// Streams rows into a table with `COPY … FROM STDIN` (text format), the fastest way
/// PostgreSQL takes many rows: about 64 KiB per message, so memory stays flat however many
/// rows are sent.
public struct CopyRows {
    private let writer: PostgresCopyFromWriter
    private var buffer = ByteBuffer()
    private static let flushBytes = 64 << 10

    /// Copies into `table`'s `columns` the rows `produce` appends; `table` and `columns` are
    /// the service's own names, never input.
    public static func copy(
        into table: String, columns: [String], on connection: PostgresConnection, logger: Logger,
        _ produce: (inout CopyRows) async throws -> Void
    ) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var rows = CopyRows(writer: writer)
            try await produce(&rows)
            try await rows.flush()
        }
    }

    private init(writer: PostgresCopyFromWriter) { self.writer = writer }

    /// Appends one row; `nil` is SQL NULL.
    public mutating func append(_ values: [String?]) async throws {
        for (index, value) in values.enumerated() {
            if index > 0 { self.buffer.writeInteger(UInt8(ascii: "\t")) }
            guard let value else {
                self.buffer.writeStaticString("\\N")
                continue
            }
            Self.writeEscaped(value, into: &self.buffer)
        }
        self.buffer.writeInteger(UInt8(ascii: "\n"))
        if self.buffer.readableBytes >= Self.flushBytes { try await self.flush() }
    }

    private mutating func flush() async throws {
        guard self.buffer.readableBytes > 0 else { return }
        try await self.writer.write(self.buffer)
        self.buffer.clear()
    }

    /// A `text[]` value: `{"a","b \"c\""}`.
    public static func arrayLiteral(_ elements: [String]) -> String {
        let quoted = elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    /// The text format's escapes: backslash, tab, line feed and carriage return.
    static func writeEscaped(_ value: String, into buffer: inout ByteBuffer) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
