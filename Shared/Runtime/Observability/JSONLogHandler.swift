import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard output.
///
/// swift-log ships only a text handler; log collectors want JSON. Each line carries the time,
/// level, service, message, the request id (from Hummingbird's `hb.request.id` metadata,
/// renamed `request_id`) and any other metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let service: String

    public init(service: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider?) {
        self.service = service
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Any] = [
            "ts": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue,
            "service": self.service,
            "msg": event.message.description,
        ]
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged {
            fields[key == "hb.request.id" ? "request_id" : key] = Self.jsonValue(value)
        }
        if let error = event.error {
            fields["error.type"] = String(describing: type(of: error))
            fields["error.message"] = String(reflecting: error)
        }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(0x0A)
        Self.output.write(line)
    }

    static let output = BackgroundLineWriter()

    /// Waits until every line logged so far is on standard output (before the process exits).
    public static func flush() {
        self.output.flush()
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(jsonValue)
        case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
        }
    }
}

/// Hands whole lines to a thread of its own that writes them to standard output, so a log
/// call never waits on the pipe: tasks run on NIO's event loops, and a write blocked there (a
/// slow log collector) would stall every socket of the loop, database connections included.
///
/// Holds at most `capacity` bytes; past that, lines are dropped and counted, and the count is
/// written as a line of its own once there is room. `flush()` waits until all is written.
/// Its thread lives as long as the process (one writer per process).
final class BackgroundLineWriter: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending = Data()
    private var dropped = 0
    private var writing = false
    let capacity: Int

    init(capacity: Int = 8 << 20, output: @escaping @Sendable (Data) -> Void = { FileHandle.standardOutput.write($0) }) {
        self.capacity = capacity
        let thread = Thread { [self] in self.run(output) }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues `line` (a whole line, newline included); drops it when `capacity` is reached.
    func write(_ line: Data) {
        self.condition.withLock {
            if self.pending.count + line.count > self.capacity {
                self.dropped += 1
            } else {
                self.pending.append(line)
            }
            self.condition.broadcast()
        }
    }

    /// Returns once every line queued so far is written.
    func flush() {
        self.condition.withLock {
            while !self.pending.isEmpty || self.dropped > 0 || self.writing { self.condition.wait() }
        }
    }

    private func run(_ output: (Data) -> Void) {
        while true {
            var batch = Data()
            let lost: Int = self.condition.withLock {
                while self.pending.isEmpty && self.dropped == 0 { self.condition.wait() }
                swap(&batch, &self.pending)
                defer { self.dropped = 0 }
                self.writing = true
                return self.dropped
            }
            if lost > 0 {
                let now = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                batch.append(Data(#"{"dropped":\#(lost),"level":"warning","msg":"log lines dropped: standard output was not keeping up","ts":"\#(now)"}"#.utf8))
                batch.append(0x0A)
            }
            output(batch)
            self.condition.withLock {
                self.writing = false
                self.condition.broadcast()
            }
        }
    }
}
