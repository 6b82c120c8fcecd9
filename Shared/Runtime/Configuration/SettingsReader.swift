import Configuration
import Foundation

/// Reads settings from command-line flags (first) and `ROSTER_*` environment variables, and
/// remembers what it read so the effective configuration can be logged with secrets redacted.
///
/// Values are read as text and parsed here, so a malformed value stops the start with a
/// message naming the variable instead of silently falling back to a default.
public final class SettingsReader: @unchecked Sendable {
    private let reader: ConfigReader
    private let lock = NSLock()
    private var effective: [(Setting, String?)] = []

    /// Reads from the process's arguments and environment.
    public convenience init(arguments: [String] = CommandLine.arguments) {
        self.init(arguments: arguments, environment: ProcessInfo.processInfo.environment)
    }

    /// Reads from the given arguments and environment (tests pass their own).
    public init(arguments: [String], environment: [String: String]) {
        self.reader = ConfigReader(providers: [
            CommandLineArgumentsProvider(arguments: arguments),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "roster"),
        ])
    }

    /// The text value, or the setting's default; throws when a required setting is missing.
    public func string(_ setting: Setting, default override: String? = nil) throws -> String {
        guard let value = self.optionalString(setting, default: override) else {
            throw ConfigurationError("\(setting.environmentName) (or \(setting.flag)) is required: \(setting.summary)")
        }
        return value
    }

    /// The text value or default; `nil` when neither exists.
    public func optionalString(_ setting: Setting, default override: String? = nil) -> String? {
        let raw = self.reader.string(forKey: ConfigKey(setting.key), isSecret: setting.isSecret)
        let value = (raw?.isEmpty == false ? raw : nil) ?? override ?? setting.defaultValue
        self.lock.withLock { self.effective.append((setting, value)) }
        return value
    }

    /// An integer value within `range`.
    public func int(_ setting: Setting, default override: Int? = nil, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        let text = try self.string(setting, default: override.map(String.init))
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(setting.environmentName) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A URL with scheme and host.
    public func url(_ setting: Setting) throws -> URL {
        let text = try self.string(setting)
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            throw ConfigurationError("\(setting.environmentName) must be an absolute URL such as http://127.0.0.1:8081")
        }
        return url
    }

    /// Every setting read so far as `ENV=value`, secrets shown as `<redacted>`, for the start-up log.
    public func effectiveConfiguration() -> [String: String] {
        self.lock.withLock {
            var result: [String: String] = [:]
            for (setting, value) in self.effective {
                result[setting.environmentName] = setting.isSecret ? (value == nil ? "<unset>" : "<redacted>") : (value ?? "<unset>")
            }
            return result
        }
    }
}
