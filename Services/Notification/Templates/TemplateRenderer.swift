import Foundation
import Mustache
import RosterProtocol

/// Compiles and renders templates: subject and text without escaping, HTML with HTML escaping.
enum TemplateRenderer {
    /// A rendered message.
    struct Rendered: Codable, Sendable, Equatable {
        var subject: String
        var text: String
        var html: String?
    }

    /// Throws the parser's complaint when `source` is not a valid mustache template.
    static func compile(_ source: String, html: Bool) throws -> MustacheTemplate {
        try MustacheTemplate(string: html ? source : "{{% CONTENT_TYPE: TEXT}}" + source)
    }

    /// Renders all three parts with `variables`; the subject is kept to one line of 250 characters.
    static func render(_ template: MessageTemplate, variables: JSONValue) throws -> Rendered {
        let context = Self.mustacheValue(variables)
        let subject = try Self.compile(template.subject, html: false).render(context)
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return Rendered(
            subject: String(subject.trimmingCharacters(in: .whitespaces).prefix(250)),
            text: try Self.compile(template.text, html: false).render(context),
            html: try template.html.map { try Self.compile($0, html: true).render(context) })
    }

    /// JSON as the dictionaries, arrays and scalars mustache walks.
    static func mustacheValue(_ value: JSONValue) -> Any {
        switch value {
        case .object(let object): object.mapValues(Self.mustacheValue)
        case .array(let items): items.map(Self.mustacheValue)
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): flag
        case .null: Optional<String>.none as Any
        }
    }
}
