import RosterProtocol

/// One configuration key: its name, default, whether it is secret, and what it means.
///
/// Keys are dotted camelCase (`database.poolSize`); the environment variable is
/// `ROSTER_` + the upper-snake form (`ROSTER_DATABASE_POOL_SIZE`) and the command-line flag
/// is the kebab form (`--database-pool-size`). The README's configuration table lists
/// every setting of `Setting.catalog`, and a test keeps the two in step.
public struct Setting: Sendable, Hashable {
    public let key: String
    /// The default as text; `nil` when the setting has none (required or optional).
    public let defaultValue: String?
    public let isSecret: Bool
    public let isRequired: Bool
    /// The services that read it; empty means all four.
    public let services: [ServiceName]
    public let summary: String

    public init(
        _ key: String, default defaultValue: String? = nil, secret: Bool = false, required: Bool = false,
        services: [ServiceName] = [], summary: String
    ) {
        self.key = key
        self.defaultValue = defaultValue
        self.isSecret = secret
        self.isRequired = required
        self.services = services
        self.summary = summary
    }

    /// `ROSTER_DATABASE_POOL_SIZE` for `database.poolSize`.
    public var environmentName: String {
        "ROSTER_" + self.words.map { $0.uppercased() }.joined(separator: "_")
    }

    /// `--database-pool-size` for `database.poolSize`.
    public var flag: String {
        "--" + self.words.joined(separator: "-")
    }

    private var words: [String] {
        var words: [String] = []
        for component in self.key.split(separator: ".") {
            var word = ""
            for character in component {
                if character.isUppercase, !word.isEmpty {
                    words.append(word)
                    word = ""
                }
                word.append(Character(character.lowercased()))
            }
            if !word.isEmpty { words.append(word) }
        }
        return words
    }
}
