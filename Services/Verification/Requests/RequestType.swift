import RosterProtocol

/// One kind of verification as the catalog shows it (`GET /api/v1/verification-request-types`):
/// seed 001's code and name, how its code travels and with which notification template.
struct RequestType: Encodable, Sendable {
    var code: VerificationCodes.Kind
    var name: String
    var description: String
    var channel: NotificationMessages.Channel
    var template: String
    var expiresInMinutes: Int

    /// Every type, with its lifetime from the configuration.
    static func catalog(_ configuration: VerificationConfiguration) -> [RequestType] {
        VerificationCodes.Kind.allCases.map { kind in
            let minutes = Int((configuration.lifetimes[kind] ?? .seconds(600)).components.seconds / 60)
            return switch kind {
            case .registration:
                RequestType(
                    code: kind, name: "Registration", description: "Confirms the email address given at registration.",
                    channel: .email, template: "verification_code", expiresInMinutes: minutes)
            case .passwordReset:
                RequestType(
                    code: kind, name: "Password reset", description: "Lets a user who forgot the password set a new one.",
                    channel: .email, template: "password_reset", expiresInMinutes: minutes)
            case .emailChange:
                RequestType(
                    code: kind, name: "Email change", description: "Confirms a new email address before it replaces the old one.",
                    channel: .email, template: "email_change", expiresInMinutes: minutes)
            case .phone:
                RequestType(
                    code: kind, name: "Phone verification", description: "Confirms a phone number by a text message.",
                    channel: .sms, template: "verification_code", expiresInMinutes: minutes)
            }
        }
    }
}
