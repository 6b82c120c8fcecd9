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

    private static let output = LineWriter()

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(jsonValue)
        case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
        }
    }
}

/// Serialises whole lines onto standard output so concurrent log calls never interleave.
private final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()

    func write(_ data: Data) {
        self.lock.withLock {
            FileHandle.standardOutput.write(data)
        }
    }
}
