import Foundation
import RosterProtocol

/// The rules of user fields; each adds a field error and returns `nil` when a value breaks one.
enum UserRules {
    static func email(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard let address = EmailAddress.normalize(value) else {
            errors.append(.init(field: "email", code: "invalid_email", message: "must be an email address"))
            return nil
        }
        return address
    }

    /// E.164-like: `+` and 7 to 15 digits; spaces, dashes and brackets are dropped.
    static func phone(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard let normalized = PhoneNumber.normalize(value) else {
            errors.append(.init(field: "phone", code: "invalid_phone", message: "must be a phone number such as +14155550123"))
            return nil
        }
        return normalized
    }

    static func username(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard (3...64).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            errors.append(.init(field: "username", code: "invalid_username", message: "must be 3–64 letters, digits, '.', '_' or '-'"))
            return nil
        }
        return value
    }

    static func text(_ value: String?, field: String, max: Int, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        // Unicode scalars, not characters: one character can carry any number of combining marks.
        guard trimmed.unicodeScalars.count <= max else {
            errors.append(.init(field: field, code: "too_long", message: "must be at most \(max) characters"))
            return nil
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    static func url(_ value: String?, field: String, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard value.utf8.count <= 2048, let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else {
            errors.append(.init(field: field, code: "invalid_url", message: "must be an http(s) URL"))
            return nil
        }
        return value
    }

    /// A BCP 47 tag such as `en`, `pt-BR`.
    static func language(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.utf8.count <= 35, let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }),
            parts.dropFirst().allSatisfy({ (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else {
            errors.append(.init(field: "language", code: "invalid_language", message: "must be a language tag such as en or pt-BR"))
            return nil
        }
        return value
    }

    /// An IANA time zone such as `Europe/Paris`.
    static func timezone(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard value.utf8.count <= 64, TimeZone(identifier: value) != nil else {
            errors.append(.init(field: "timezone", code: "invalid_timezone", message: "must be an IANA time zone such as Europe/Paris"))
            return nil
        }
        return value
    }

    static func choice(_ value: String?, field: String, allowed: [String], code: String, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        guard allowed.contains(value) else {
            errors.append(.init(field: field, code: code, message: "must be one of \(allowed.joined(separator: ", "))"))
            return nil
        }
        return value
    }

    /// `YYYY-MM-DD`, from 1900 to today.
    static func birthDate(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        let digitsAt = [0, 1, 2, 3, 5, 6, 8, 9]
        let characters = Array(value)
        let shaped =
            characters.count == 10 && characters[4] == "-" && characters[7] == "-"
            && digitsAt.allSatisfy { characters[$0].isASCII && characters[$0].isNumber }
        let parts = shaped ? value.split(separator: "-") : []
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        if value.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month, year >= 1900, date <= Date()
        {
            return value
        }
        errors.append(.init(field: "birthDate", code: "invalid_date", message: "must be a date YYYY-MM-DD between 1900 and today"))
        return nil
    }

    /// At least 8 characters and at most 72 bytes (bcrypt ignores what follows), not only spaces.
    static func password(_ value: String?, errors: inout [Problem.FieldError], field: String = "password") -> String? {
        guard let value else { return nil }
        guard value.count >= 8, value.utf8.count <= 72, !value.allSatisfy(\.isWhitespace) else {
            errors.append(.init(field: field, code: "invalid_password", message: "must be at least 8 characters and at most 72 bytes"))
            return nil
        }
        return value
    }

    /// Throws the collected errors as one 422; a lone invalid type keeps its seed-003 code.
    static func check(_ errors: [Problem.FieldError]) throws {
        guard !errors.isEmpty else { return }
        var problem = Problem.validation(errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ") + ".", errors: errors)
        if errors.count == 1, errors[0].code == "invalid_user_type" { problem.code = "invalid_user_type" }
        throw problem
    }
}
