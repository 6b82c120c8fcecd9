import Foundation

/// The shape Roster accepts for an email address: one `@`, a dotted domain, no spaces, at
/// most 254 bytes. Deliverability is the mail server's business.
public enum EmailAddress {
    /// The address trimmed of spaces, or `nil` when it is not one.
    public static func normalize(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains(".."),
            !trimmed.contains(where: { $0.isWhitespace || $0.isNewline || $0 == "<" || $0 == ">" || $0 == "," })
        else { return nil }
        return trimmed
    }
}
