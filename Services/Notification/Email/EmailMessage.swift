import Foundation

/// An email as sent over SMTP: envelope addresses and the RFC 5322 / MIME text.
///
/// Parts are UTF-8 in base64 (lines of 76), so no body line can start with a dot or exceed
/// SMTP's line limit; a non-ASCII subject is RFC 2047-encoded. The Message-ID is derived from
/// the delivery id, so a receiver can recognise a retry of a message it already has.
struct EmailMessage: Sendable {
    var from: String
    var to: String
    var subject: String
    var text: String
    var html: String?
    var messageID: String
    var date: Date = Date()

    /// The `From` header's address part (`Name <a@b>` → `a@b`).
    static func address(of mailbox: String) -> String {
        guard let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close else {
            return mailbox.trimmingCharacters(in: .whitespaces)
        }
        return String(mailbox[mailbox.index(after: open)..<close])
    }

    /// The message text with CRLF line ends, without the final `.` line.
    func rendered() -> String {
        let boundary = "roster-\(self.messageID.prefix(36))"
        var lines = [
            "From: \(Self.headerSafe(self.from))",
            "To: <\(Self.headerSafe(self.to))>",
            "Subject: \(Self.encodedSubject(self.subject))",
            "Date: \(Self.dateHeader(self.date))",
            "Message-ID: <\(self.messageID)>",
            "MIME-Version: 1.0",
        ]
        if let html = self.html {
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += Self.part(self.text, type: "text/plain")
            lines.append("--\(boundary)")
            lines += Self.part(html, type: "text/html")
            lines.append("--\(boundary)--")
        } else {
            lines += Self.part(self.text, type: "text/plain")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func part(_ body: String, type: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""] + Self.wrapped(Data(body.utf8).base64EncodedString())
    }

    private static func wrapped(_ text: String) -> [String] {
        var lines: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(76)))
            rest = rest.dropFirst(76)
        }
        return lines
    }

    /// A header value with line breaks removed (no header injection).
    private static func headerSafe(_ value: String) -> String {
        value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// ASCII subjects as they are; others as RFC 2047 encoded words of at most 45 bytes each.
    static func encodedSubject(_ subject: String) -> String {
        let safe = Self.headerSafe(subject)
        guard !safe.allSatisfy({ $0.isASCII }) else { return safe }
        var words: [String] = []
        var chunk = ""
        for character in safe {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// `Tue, 24 Nov 2026 09:30:00 +0000` (RFC 5322).
    private static func dateHeader(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
