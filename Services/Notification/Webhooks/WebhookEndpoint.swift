import Foundation
import RosterProtocol

/// Where an application's webhook deliveries go. `secret` (the HMAC-SHA256 signing key) is
/// shown only when it is created or rotated.
struct WebhookEndpoint: Encodable, Sendable {
    var url: String
    var secret: String?
    var createdAt: Date
    var updatedAt: Date
}

/// The body of `PUT /api/v1/notifications/webhook`.
struct WebhookEndpointInput: Decodable, Sendable {
    var url: String
    /// A new signing secret even though the endpoint has one.
    var rotateSecret: Bool?

    /// The URL if it is an absolute http(s) URL of at most 2,000 characters, else a 422.
    func checkedURL() throws -> String {
        let trimmed = self.url.trimmingCharacters(in: .whitespaces)
        guard trimmed.unicodeScalars.count <= 2000, let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, components.user == nil
        else {
            throw Problem.validation(
                "The webhook endpoint is not valid.",
                errors: [.init(field: "url", code: "invalid_url", message: "must be an absolute http or https URL without credentials, at most 2000 characters")])
        }
        return trimmed
    }
}
