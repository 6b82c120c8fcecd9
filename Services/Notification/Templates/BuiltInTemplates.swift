import Foundation
import RosterProtocol

/// The templates every application has until it stores its own with the same code: the one
/// broadcasts use for email, and the three the verification service sends.
///
/// Variables: broadcasts give `title`, `message`, `type`, `data` and `user` (`firstName`,
/// `lastName`, `email`, `language`); verification gives `code`, `link` (when it has one) and
/// `expiresInMinutes`, and `user` when the message goes to a known user.
enum BuiltInTemplates {
    static let notification = MessageTemplate(
        id: Self.id(1), code: "notification", name: "Notification", description: "Email of a broadcast or send (in_app's title and message).",
        subject: "{{title}}",
        text: "{{#user.firstName}}Hello {{user.firstName}},\n\n{{/user.firstName}}{{message}}\n",
        html: "{{#user.firstName}}<p>Hello {{user.firstName}},</p>{{/user.firstName}}<p>{{message}}</p>", builtIn: true, createdAt: Self.epoch, updatedAt: Self.epoch)

    static let verificationCode = MessageTemplate(
        id: Self.id(2), code: "verification_code", name: "Verification code", description: "Confirms an email address or a phone number.",
        subject: "Your verification code: {{code}}",
        text: "Your verification code is {{code}}. It expires in {{expiresInMinutes}} minutes.\n{{#link}}\nOr open {{link}}\n{{/link}}",
        html: "<p>Your verification code is <strong>{{code}}</strong>. It expires in {{expiresInMinutes}} minutes.</p>{{#link}}<p><a href=\"{{link}}\">Confirm</a></p>{{/link}}",
        builtIn: true, createdAt: Self.epoch, updatedAt: Self.epoch)

    static let passwordReset = MessageTemplate(
        id: Self.id(3), code: "password_reset", name: "Password reset", description: "Lets a user who forgot the password set a new one.",
        subject: "Reset your password",
        text: "Someone asked to reset the password of this account. Your code is {{code}} (valid {{expiresInMinutes}} minutes).\n{{#link}}\nOr open {{link}}\n{{/link}}\nIf it was not you, ignore this email.\n",
        html: "<p>Someone asked to reset the password of this account. Your code is <strong>{{code}}</strong> (valid {{expiresInMinutes}} minutes).</p>{{#link}}<p><a href=\"{{link}}\">Reset the password</a></p>{{/link}}<p>If it was not you, ignore this email.</p>",
        builtIn: true, createdAt: Self.epoch, updatedAt: Self.epoch)

    static let emailChange = MessageTemplate(
        id: Self.id(4), code: "email_change", name: "Email change", description: "Confirms a new email address before it replaces the old one.",
        subject: "Confirm your new email address",
        text: "Your code to confirm this address is {{code}} (valid {{expiresInMinutes}} minutes).\n{{#link}}\nOr open {{link}}\n{{/link}}",
        html: "<p>Your code to confirm this address is <strong>{{code}}</strong> (valid {{expiresInMinutes}} minutes).</p>{{#link}}<p><a href=\"{{link}}\">Confirm</a></p>{{/link}}",
        builtIn: true, createdAt: Self.epoch, updatedAt: Self.epoch)

    static let all = [notification, verificationCode, passwordReset, emailChange]

    /// Built-ins are not stored; their ids and dates are fixed.
    private static let epoch = Date(timeIntervalSince1970: 0)
    private static func id(_ number: Int) -> EntityID {
        EntityID(UUID(uuidString: "00000000-0000-7000-8000-00000000000\(number)")!)
    }

    static func named(_ code: String) -> MessageTemplate? {
        all.first { $0.code == code }
    }
}
