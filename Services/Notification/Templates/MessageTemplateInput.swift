import Foundation
import RosterProtocol
import RosterRuntime

/// The body of `POST /templates` and `PATCH /templates/{id}` (fields present are changed).
/// Every part must parse as mustache; a broken one is a 422 naming the field.
struct MessageTemplateInput: Decodable, Sendable {
    var code: PatchField<String> = .absent
    var name: PatchField<String> = .absent
    var description: PatchField<String> = .absent
    var subject: PatchField<String> = .absent
    var text: PatchField<String> = .absent
    var html: PatchField<String> = .absent

    enum CodingKeys: String, CodingKey { case code, name, description, subject, text, html }

    static let limits = (subject: 1000, text: 65_536, html: 262_144)

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.code = try container.decodePatch(String.self, forKey: .code)
        self.name = try container.decodePatch(String.self, forKey: .name)
        self.description = try container.decodePatch(String.self, forKey: .description)
        self.subject = try container.decodePatch(String.self, forKey: .subject)
        self.text = try container.decodePatch(String.self, forKey: .text)
        self.html = try container.decodePatch(String.self, forKey: .html)
    }

    /// Applies the present fields, or throws 422 naming every broken rule.
    func apply(to template: inout MessageTemplate, creating: Bool) throws {
        var errors: [Problem.FieldError] = []
        if let code = Self.required(self.code, field: "code", creating: creating, errors: &errors) {
            if NotificationTypeInput.isCode(code) {
                template.code = code
            } else {
                errors.append(.init(field: "code", code: "invalid", message: "must be 1 to 64 of a-z, 0-9 and _, starting with a letter"))
            }
        }
        if let name = Self.required(self.name, field: "name", creating: creating, errors: &errors) {
            if let text = NotificationTypeInput.text(name, max: 200), !text.isEmpty {
                template.name = text
            } else {
                errors.append(.init(field: "name", code: "invalid", message: "must be 1 to 200 characters"))
            }
        }
        switch self.description {
        case .absent: break
        case .null: template.description = nil
        case .value(let description):
            if let text = NotificationTypeInput.text(description, max: 2000) {
                template.description = text.isEmpty ? nil : text
            } else {
                errors.append(.init(field: "description", code: "invalid", message: "must be at most 2000 characters"))
            }
        }
        if let subject = Self.required(self.subject, field: "subject", creating: creating, errors: &errors),
            Self.check(subject, field: "subject", max: Self.limits.subject, html: false, errors: &errors)
        {
            template.subject = subject
        }
        if let text = Self.required(self.text, field: "text", creating: creating, errors: &errors),
            Self.check(text, field: "text", max: Self.limits.text, html: false, errors: &errors)
        {
            template.text = text
        }
        switch self.html {
        case .absent: break
        case .null: template.html = nil
        case .value(let html):
            if Self.check(html, field: "html", max: Self.limits.html, html: true, errors: &errors) { template.html = html.isEmpty ? nil : html }
        }
        guard errors.isEmpty else { throw Problem.validation("The template is not valid.", errors: errors) }
    }

    private static func required(_ field: PatchField<String>, field name: String, creating: Bool, errors: inout [Problem.FieldError])
        -> String?
    {
        switch field {
        case .absent:
            if creating { errors.append(.init(field: name, code: "required", message: "is required")) }
            return nil
        case .null:
            errors.append(.init(field: name, code: "required", message: "cannot be null"))
            return nil
        case .value(let value):
            return value
        }
    }

    /// Whether `source` is within `max` characters, has no NUL and parses as mustache.
    private static func check(_ source: String, field: String, max: Int, html: Bool, errors: inout [Problem.FieldError]) -> Bool {
        guard source.unicodeScalars.count <= max, !source.unicodeScalars.contains("\u{0}") else {
            errors.append(.init(field: field, code: "invalid", message: "must be at most \(max) characters"))
            return false
        }
        do {
            _ = try TemplateRenderer.compile(source, html: html)
            return true
        } catch {
            errors.append(.init(field: field, code: "invalid_template", message: "is not a valid mustache template (\(error))"))
            return false
        }
    }
}
