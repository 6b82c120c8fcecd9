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
    ///
    /// Written out with integer arithmetic: every timestamp of every response goes through
    /// here, and Foundation's formatters cost several microseconds each.
    private static func format(_ date: Date, fractionDigits: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let units = Int64((date.timeIntervalSince1970 * Double(scale)).rounded())
        let seconds = units >= 0 ? units / scale : (units - scale + 1) / scale
        let fraction = units - seconds * scale
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.from(daysSince1970: days)
        guard (0...9999).contains(year) else {
            let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())
            return whole.dropLast() + "." + String(format: "%0\(fractionDigits)lld", fraction) + "Z"
        }
        var text = ""
        text.reserveCapacity(21 + fractionDigits)
        func append(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.unicodeScalars.append(Unicode.Scalar(UInt8(48 + rest / divisor)))
                rest %= divisor
                divisor /= 10
            }
        }
        append(year, digits: 4); text += "-"
        append(month, digits: 2); text += "-"
        append(day, digits: 2); text += "T"
        append(secondOfDay / 3600, digits: 2); text += ":"
        append(secondOfDay / 60 % 60, digits: 2); text += ":"
        append(secondOfDay % 60, digits: 2); text += "."
        append(fraction, digits: fractionDigits); text += "Z"
        return text
    }

    /// Parses RFC 3339 timestamps with or without fractional seconds; `nil` otherwise.
    public static func parseTimestamp(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

/// Proleptic Gregorian dates from day numbers (Howard Hinnant's `civil_from_days`).
enum CivilDate {
    /// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01.
    static func from(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
