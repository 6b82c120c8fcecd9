import Foundation
import RosterProtocol
import RosterRuntime

/// The user field each column of an import file fills, read from the header row and the
/// upload's optional `mapping`.
///
/// Without a mapping, a header names its field, ignoring case, spaces, `_` and `-`
/// (`first_name`, `First Name`, `firstName`). A mapping (`{"E-mail": "email", "Notes": null}`)
/// names the field of a header, or `null` to skip the column. A header that is neither a field
/// nor mapped is refused, so no column is dropped without the client saying so.
struct ImportColumns: Sendable {
    /// What a column can fill: the user's own fields, and tags and groups for audience.
    enum Field: String, CaseIterable, Sendable {
        case email, phone, username, firstName, lastName, profileImage, language, timezone, country, city, department, sex,
            birthDate, type, status, emailVerified, phoneVerified, tags, groups
    }

    /// Per column, the field it fills (`nil`: skipped).
    let fields: [Field?]

    /// The columns that identify a user; a file needs one of them.
    static let identifying: Set<Field> = [.email, .phone, .username]

    init(header: [String], mapping: [String: String?]?) throws {
        var errors: [Problem.FieldError] = []
        var fields: [Field?] = []
        var seen: Set<Field> = []
        let mapping = mapping ?? [:]
        for unknown in Set(mapping.keys).subtracting(header.map { $0.trimmingCharacters(in: .whitespaces) }).sorted().prefix(20) {
            errors.append(.init(field: "mapping.\(unknown)", code: "unknown_column", message: "the file has no such column"))
        }
        for cell in header {
            let name = cell.trimmingCharacters(in: .whitespaces)
            let field: Field?
            if let mapped = mapping[name] {
                guard let mapped else {
                    fields.append(nil)
                    continue
                }
                field = Self.field(named: mapped)
                if field == nil {
                    errors.append(.init(field: "mapping.\(name)", code: "unknown_field", message: "\(mapped) is no field a column can fill"))
                }
            } else {
                field = Self.field(named: name)
                if field == nil {
                    errors.append(
                        .init(field: "columns.\(name)", code: "unknown_column", message: "names no user field; map it to one, or to null to skip it"))
                }
            }
            if let field, !seen.insert(field).inserted {
                errors.append(.init(field: "columns.\(name)", code: "duplicate_column", message: "a second column for \(field.rawValue)"))
            }
            fields.append(field)
        }
        if errors.isEmpty, seen.isDisjoint(with: Self.identifying) {
            errors.append(.init(field: "columns", code: "required", message: "the file needs an email, phone or username column"))
        }
        guard errors.isEmpty else {
            throw Problem.validation(errors.map { "\($0.field): \($0.message)" }.prefix(5).joined(separator: "; ") + ".", errors: Array(errors.prefix(100)))
        }
        self.fields = fields
    }

    /// The field a header or mapping names: exact, or ignoring case, spaces, `_` and `-`.
    static func field(named name: String) -> Field? {
        if let field = Field(rawValue: name) { return field }
        let folded = Self.fold(name)
        return Field.allCases.first { Self.fold($0.rawValue) == folded }
    }

    private static func fold(_ text: String) -> String {
        text.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" }
    }

    /// Reads the upload's `mapping` field: a JSON object of header → field name or null.
    static func mapping(_ text: String?) throws -> [String: String?]? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        guard let mapping = try? JSONDecoder().decode([String: String?].self, from: Data(text.utf8)) else {
            throw Problem.badRequest(
                "mapping must be a JSON object of column header → field name (or null to skip the column).", code: "invalid_mapping")
        }
        return mapping
    }
}
