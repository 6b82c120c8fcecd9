/// Writes CSV (RFC 4180) lines for exports.
///
/// A field with a comma, quote or line break is quoted; a field a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so an
/// exported value can never execute in the program that opens the file.
public enum CSVLine {
    public static func make(_ fields: [String?]) -> String {
        fields.map { Self.field($0 ?? "") }.joined(separator: ",") + "\r\n"
    }

    static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
