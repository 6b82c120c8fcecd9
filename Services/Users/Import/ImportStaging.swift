import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Reads an import file record by record and stages every row with `COPY`, each with its
/// validation outcome: a row that breaks a rule (or its quoting) is staged as failed with the
/// reason, so the good rows go on and the report names every bad one.
///
/// A row is checked by the same rules as `POST /users` (and gets the same defaults), so an
/// imported user is one the API could have created. Imports carry no passwords.
enum ImportStaging {
    static let columns = [
        "job_id", "line", "user_id", "email", "phone", "username", "first_name", "last_name", "profile_image", "language", "timezone",
        "country", "city", "department", "sex", "birth_date", "type", "status", "email_verified", "phone_verified", "tags", "groups",
        "outcome", "error_field", "error_code", "error_message",
    ]

    /// Most tags or groups one row may name.
    static let maxListItems = 50

    /// What staging found: the columns, and how many rows there are and failed.
    struct Summary: Sendable {
        var columns: ImportColumns
        var total: Int
        var failed: Int
    }

    /// Stages the file's rows for the import `jobID` in the caller's transaction. 422 for a
    /// header that cannot be used, 400 for a file that is not CSV; then nothing is staged.
    static func stage(
        _ upload: CSVUpload, mapping: [String: String?]?, jobID: EntityID, applicationID: EntityID, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Summary {
        var columns: ImportColumns?
        var total = 0, failed = 0
        try await CopyRows.copy(into: "user_import_rows", columns: Self.columns, on: connection, logger: logger) { rows in
            try await upload.read(recoveringRows: true) { records in
                for record in records {
                    guard let plan = columns else {
                        if let error = record.error {
                            throw Problem.badRequest("The CSV header is malformed: \(error).", code: "malformed_csv")
                        }
                        columns = try ImportColumns(header: record.fields, mapping: mapping)
                        continue
                    }
                    let row = Self.row(record, columns: plan, applicationID: applicationID)
                    total += 1
                    if row.failure != nil { failed += 1 }
                    try await rows.append([jobID.description, String(record.line)] + row.values)
                }
            }
        }
        guard let columns else {
            throw Problem.badRequest("The file is empty; it needs a header row and one row per user.", code: "malformed_csv")
        }
        return Summary(columns: columns, total: total, failed: failed)
    }

    /// Why a row was not imported.
    struct Failure: Error, Sendable {
        var field: String
        var code: String
        var message: String
    }

    /// The staged values of a record (after `job_id, line`): the user's, or the failure.
    static func row(_ record: CSVRecord, columns: ImportColumns, applicationID: EntityID) -> (values: [String?], failure: Failure?) {
        do {
            let (user, tags, groups) = try self.user(record, columns: columns, applicationID: applicationID)
            let profile = user.profile
            let values: [String?] = [
                user.id.description, profile.email, profile.phone, profile.username, profile.firstName, profile.lastName,
                profile.profileImage, profile.language, profile.timezone, profile.country, profile.city, profile.department, profile.sex,
                profile.birthDate, user.type.rawValue, user.status.rawValue, user.emailVerified ? "t" : "f", user.phoneVerified ? "t" : "f",
                tags.map(CopyRows.arrayLiteral), groups.map(CopyRows.arrayLiteral), "pending", nil, nil, nil,
            ]
            return (values, nil)
        } catch {
            let failure = error as? Failure ?? Failure(field: "row", code: "invalid", message: "\(error)")
            let values: [String?] = [EntityID.generate().description] + Array(repeating: nil, count: 19)
                + ["failed", failure.field, failure.code, failure.message]
            return (values, failure)
        }
    }

    /// The user a record describes (as `POST /users` would create it), with its tags and groups.
    private static func user(_ record: CSVRecord, columns: ImportColumns, applicationID: EntityID) throws -> (User, [String]?, [String]?) {
        if let error = record.error { throw Failure(field: "row", code: "malformed_row", message: error) }
        guard record.fields.count == columns.fields.count else {
            throw Failure(
                field: "row", code: "column_count",
                message: "has \(record.fields.count) fields; the header has \(columns.fields.count)")
        }
        var input = UserInput()
        var tags: [String]?, groups: [String]?
        for (field, cell) in zip(columns.fields, record.fields) {
            guard let field else { continue }
            let text = cell.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            switch field {
            case .email: input.email = .value(text)
            case .phone: input.phone = .value(text)
            case .username: input.username = .value(text)
            case .firstName: input.firstName = .value(text)
            case .lastName: input.lastName = .value(text)
            case .profileImage: input.profileImage = .value(text)
            case .language: input.language = .value(text)
            case .timezone: input.timezone = .value(text)
            case .country: input.country = .value(text)
            case .city: input.city = .value(text)
            case .department: input.department = .value(text)
            case .sex: input.sex = .value(text)
            case .birthDate: input.birthDate = .value(text)
            case .type: input.type = .value(text)
            case .status: input.status = .value(text)
            case .emailVerified: input.emailVerified = .value(try Self.flag(text, field: field))
            case .phoneVerified: input.phoneVerified = .value(try Self.flag(text, field: field))
            case .tags: tags = try Self.list(text, field: field)
            case .groups: groups = try Self.list(text, field: field)
            }
        }
        guard input.email.isPresent || input.phone.isPresent || input.username.isPresent else {
            throw Failure(field: "row", code: "required", message: "needs an email, phone or username")
        }
        let validated: ValidatedUserInput
        do {
            validated = try ValidatedUserInput(input)
        } catch let problem as Problem {
            let first = problem.errors?.first
            throw Failure(field: first?.field ?? "row", code: first?.code ?? problem.code, message: problem.detail)
        }
        var user = UserFactory.new(applicationID: applicationID, type: validated.type ?? UserFactory.defaultType(email: validated.profile.email))
        validated.apply(to: &user, mode: .patch)
        UserFactory.applyVisitorDefaults(&user)
        return (user, tags, groups)
    }

    /// `true`/`false`, `yes`/`no`, `1`/`0`.
    private static func flag(_ text: String, field: ImportColumns.Field) throws -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw Failure(field: field.rawValue, code: "invalid_boolean", message: "must be true or false")
        }
    }

    /// A cell of comma-separated names (`"VIP,Gold"`), trimmed, without repeats.
    private static func list(_ text: String, field: ImportColumns.Field) throws -> [String]? {
        var names: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !names.contains(name) else { continue }
            guard name.count <= 100 else {
                throw Failure(field: field.rawValue, code: "invalid_name", message: "names have at most 100 characters")
            }
            names.append(name)
        }
        guard names.count <= Self.maxListItems else {
            throw Failure(field: field.rawValue, code: "too_many", message: "at most \(Self.maxListItems) names")
        }
        return names.isEmpty ? nil : names
    }
}

extension UserInput {
    /// An input with every field absent, to be filled field by field (imports).
    init() {}
}
