import Foundation

/// What a request carries into everything it calls: its id and its W3C trace context.
///
/// Set as a task-local by `RequestContextMiddleware`, so the internal HTTP client and the
/// outbox pick it up without threading it through every function.
public struct RequestMetadata: Sendable {
    public var requestID: String
    /// The trace id (32 hex digits) shared by every hop of one request.
    public var traceID: String
    /// Trace flags of the incoming `traceparent` (`01` = sampled).
    public var traceFlags: String

    @TaskLocal public static var current: RequestMetadata?

    public init(requestID: String, traceparent: String?) {
        self.requestID = requestID
        if let traceparent, let parsed = Self.parse(traceparent) {
            self.traceID = parsed.traceID
            self.traceFlags = parsed.flags
        } else {
            self.traceID = Self.randomHex(bytes: 16)
            self.traceFlags = "01"
        }
    }

    /// A `traceparent` for an outgoing call: same trace, new span id.
    public func outgoingTraceparent() -> String {
        "00-\(self.traceID)-\(Self.randomHex(bytes: 8))-\(self.traceFlags)"
    }

    /// Accepts a client's request id if it is 1–128 characters of `[A-Za-z0-9._:-]`.
    public static func isValidRequestID(_ text: String) -> Bool {
        guard (1...128).contains(text.utf8.count) else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x3A || byte == 0x2D
        }
    }

    /// A new request id (32 hex digits).
    public static func newRequestID() -> String { self.randomHex(bytes: 16) }

    private static func parse(_ header: String) -> (traceID: String, flags: String)? {
        let parts = header.split(separator: "-")
        let hex = Set("0123456789abcdef")
        guard parts.count == 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts.allSatisfy({ $0.allSatisfy { hex.contains($0) } }), parts[0] != "ff",
            parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        return (parts[1].lowercased(), parts[3].lowercased())
    }

    /// `bytes` random bytes as lowercase hex (one system random word per 8 bytes).
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<(bytes + 7) / 8).map { _ in generator.next() }
        return words.withUnsafeBytes { Hex.encode($0.prefix(bytes)) }
    }
}
