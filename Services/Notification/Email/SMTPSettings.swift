import RosterRuntime

/// Where and how email is sent (`smtp.*`); `nil` settings mean the dev mailbox keeps email.
struct SMTPSettings: Sendable {
    /// How the connection is secured.
    enum Security: String, Sendable {
        /// Plain connection upgraded with STARTTLS before anything else; refused if the server cannot.
        case starttls
        /// TLS from the first byte (usually port 465).
        case tls
        /// No TLS: only for a relay or a sink on a trusted network.
        case none
    }

    var host: String
    var port: Int
    var security: Security
    var username: String?
    var password: String?
    /// Extra CA certificates (PEM) to trust for the server.
    var caFile: String?
    var from: String

    /// The settings, or `nil` when `smtp.host` is unset.
    init?(reader: SettingsReader) throws {
        guard let host = reader.optionalString(.smtpHost), !host.isEmpty else { return nil }
        self.host = host
        self.port = try reader.int(.smtpPort, in: 1...65_535)
        let security = try reader.string(.smtpSecurity)
        guard let mode = Security(rawValue: security) else {
            throw ConfigurationError("\(Setting.smtpSecurity.environmentName) must be starttls, tls or none")
        }
        self.security = mode
        self.username = reader.optionalString(.smtpUsername)
        self.password = reader.optionalString(.smtpPassword)
        self.caFile = reader.optionalString(.smtpCAFile)
        self.from = try reader.string(.smtpFrom)
        if self.username != nil, self.password == nil {
            throw ConfigurationError("\(Setting.smtpUsername.environmentName) is set without \(Setting.smtpPassword.environmentName)")
        }
        if self.username != nil, mode == .none {
            throw ConfigurationError("SMTP AUTH needs TLS: set \(Setting.smtpSecurity.environmentName) to starttls or tls, or drop the user")
        }
    }
}
