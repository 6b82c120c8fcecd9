import Crypto
import Foundation
import RosterProtocol
import RosterRuntime

/// The verification service's own settings.
struct VerificationConfiguration: Sendable {
    /// How long a code of each type lives.
    var lifetimes: [VerificationCodes.Kind: Duration]
    /// How long a user waits before another code of a type goes to the same address.
    var cooldownSeconds: Int
    /// The front end's confirmation page; `nil` sends codes without a link.
    var linkURL: URL?
    /// Attempts to hand a code to notification.
    var deliveryAttempts: Int
    /// Seal codes while they wait for delivery.
    var keys: SealingKeys
    /// Keys the hashes of codes and link tokens (derived from the service secret).
    var codeKey: SymmetricKey

    init(reader: SettingsReader, serviceSecret: String) throws {
        let minutes: [(VerificationCodes.Kind, Setting)] = [
            (.registration, .registrationCodeMinutes), (.passwordReset, .passwordResetCodeMinutes),
            (.emailChange, .emailChangeCodeMinutes), (.phone, .phoneCodeMinutes),
        ]
        var lifetimes: [VerificationCodes.Kind: Duration] = [:]
        for (kind, setting) in minutes { lifetimes[kind] = .seconds(60 * (try reader.int(setting, in: 1...43_200))) }
        self.lifetimes = lifetimes
        self.cooldownSeconds = try reader.int(.resendCooldownSeconds, in: 0...86_400)
        if let text = reader.optionalString(.verificationLinkURL) {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil, url.query == nil
            else {
                throw ConfigurationError("\(Setting.verificationLinkURL.environmentName) must be an http(s) URL without a query")
            }
            self.linkURL = url
        }
        self.deliveryAttempts = try reader.int(.verificationDeliveryAttempts, in: 1...1000)
        self.keys = try SealingKeys(keyList: reader.string(.encryptionKeys))
        self.codeKey = SymmetricKey(data: SHA256.hash(data: Data("roster-verification-codes:\(serviceSecret)".utf8)))
    }
}
