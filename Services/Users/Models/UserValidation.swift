import Foundation
import RosterProtocol

/// The rules of user fields, shared by create and update.
enum UserValidation {
    static func email(_ value: String?, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !trimmed.contains(where: \.isWhitespace)
        else {
            errors.append(.init(field: "email", code: "invalid_email", message: "must be an email address"))
            return nil
        }
        return trimmed
    }

    static func name(_ value: String?, field: String, errors: inout [Problem.FieldError]) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 100 else {
            errors.append(.init(field: field, code: "too_long", message: "must be at most 100 characters"))
            return nil
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    static func type(_ value: String?, errors: inout [Problem.FieldError]) -> UserType? {
        guard let value else { return nil }
        guard let type = UserType(rawValue: value) else {
            let allowed = UserType.allCases.map(\.rawValue).joined(separator: ", ")
            errors.append(.init(field: "type", code: "invalid_user_type", message: "must be one of \(allowed)"))
            return nil
        }
        return type
    }

    static func status(_ value: String?, errors: inout [Problem.FieldError]) -> UserStatus? {
        guard let value else { return nil }
        guard let status = UserStatus(rawValue: value) else {
            let allowed = UserStatus.allCases.map(\.rawValue).joined(separator: ", ")
            errors.append(.init(field: "status", code: "invalid_status", message: "must be one of \(allowed)"))
            return nil
        }
        return status
    }

    /// Throws the collected errors as one 422; an invalid type alone keeps its seed-003 code.
    static func check(_ errors: [Problem.FieldError]) throws {
        guard !errors.isEmpty else { return }
        var problem = Problem.validation(
            errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ") + ".", errors: errors)
        if errors.count == 1, errors[0].code == "invalid_user_type" { problem.code = "invalid_user_type" }
        throw problem
    }
}
