import Foundation

/// The JSON coders every Roster service and client uses: RFC 3339 UTC dates with
/// milliseconds on output; input dates with or without fractional seconds.
public enum RosterJSON {
    /// An encoder for API bodies and event payloads.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// A decoder that accepts the dates `makeEncoder` writes, and ones without fractions.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 timestamp such as 2024-01-15T10:00:00Z")
            }
            return date
        }
        return decoder
    }

    /// `2024-01-15T10:00:00.123Z`, rounded to the nearest millisecond.
    ///
    /// Built from whole milliseconds, so a timestamp stored at millisecond precision prints
    /// exactly (formatting a `Date`'s fraction directly can print .122 for .123).
    public static func formatTimestamp(_ date: Date) -> String { self.format(date, fractionDigits: 3) }

    /// RFC 3339 with microseconds, PostgreSQL's precision: list cursors hold these, so a row
    /// stored with microseconds compares equal to its own cursor value.
    public static func formatPreciseTimestamp(_ date: Date) -> String { self.format(date, fractionDigits: 6) }

    /// `YYYY-MM-DDTHH:MM:SS.fffZ` with `fractionDigits` digits, rounded to the nearest unit.
    private static func format(_ date: Date, fractionDigits: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let units = Int64((date.timeIntervalSince1970 * Double(scale)).rounded())
        let seconds = Int64((Double(units) / Double(scale)).rounded(.down))
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())
        return whole.dropLast() + "." + String(format: "%0\(fractionDigits)lld", units - seconds * scale) + "Z"
    }

    /// Parses RFC 3339 timestamps with or without fractional seconds; `nil` otherwise.
    public static func parseTimestamp(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
