import RosterRuntime

/// The users service's own settings (tokens, password hashing, sign-in protection, presence).
struct UsersConfiguration: Sendable {
    var accessTokenSeconds: Int
    var refreshTokenSeconds: Int
    var bcryptCost: Int
    var hashThreads: Int
    var hashQueueLimit: Int
    var lockoutThreshold: Int
    var addressLockoutThreshold: Int
    var lockoutBaseSeconds: Int
    var lockoutMaxSeconds: Int
    var loginPerMinute: Int
    var emailCheckPerMinute: Int
    var cookieSameSite: String
    var presenceOnlineSeconds: Int
    var presenceTypingSeconds: Int

    init(reader: SettingsReader) throws {
        self.accessTokenSeconds = try reader.int(.accessTokenSeconds, in: 1...86_400)
        self.refreshTokenSeconds = try reader.int(.refreshTokenSeconds, in: 60...31_536_000)
        self.bcryptCost = try reader.int(.bcryptCost, in: 12...31)
        self.hashThreads = try reader.int(.hashThreads, in: 1...64)
        self.hashQueueLimit = try reader.int(.hashQueueLimit, in: 1...100_000)
        self.lockoutThreshold = try reader.int(.lockoutThreshold, in: 1...1000)
        self.addressLockoutThreshold = try reader.int(.addressLockoutThreshold, in: 1...100_000)
        self.lockoutBaseSeconds = try reader.int(.lockoutBaseSeconds, in: 1...86_400)
        self.lockoutMaxSeconds = try reader.int(.lockoutMaxSeconds, in: 1...604_800)
        self.loginPerMinute = try reader.int(.loginPerMinute, in: 1...1_000_000)
        self.emailCheckPerMinute = try reader.int(.emailCheckPerMinute, in: 1...1_000_000)
        let sameSite = try reader.string(.cookieSameSite)
        guard ["Strict", "Lax", "None"].contains(sameSite) else {
            throw ConfigurationError("\(Setting.cookieSameSite.environmentName) must be Strict, Lax or None")
        }
        self.cookieSameSite = sameSite
        self.presenceOnlineSeconds = try reader.int(.presenceOnlineSeconds, in: 1...86_400)
        self.presenceTypingSeconds = try reader.int(.presenceTypingSeconds, in: 1...3_600)
    }
}
