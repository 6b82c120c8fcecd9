import Foundation
import RosterProtocol
import RosterTestSupport
import Testing

@testable import RosterRuntime

@Suite struct ConfigurationTests {
    static let required = [
        "ROSTER_DATABASE_URL": "postgres://roster_users:secretpassword@127.0.0.1:5432/roster",
        "ROSTER_SERVICE_SECRET": String(repeating: "s", count: 40),
    ]

    @Test func namesFollowTheKey() {
        #expect(Setting.databasePoolSize.environmentName == "ROSTER_DATABASE_POOL_SIZE")
        #expect(Setting.databasePoolSize.flag == "--database-pool-size")
        #expect(Setting.apiKeyCacheSeconds.environmentName == "ROSTER_AUTH_API_KEY_CACHE_SECONDS")
    }

    /// Every documented environment variable and flag is really read under that name.
    @Test(arguments: Setting.catalog)
    func everySettingIsReadByItsDocumentedNames(_ setting: Setting) throws {
        let value = setting.key == "database.url" ? "postgres://a:b@c/d" : "42"
        let fromEnvironment = SettingsReader(arguments: ["roster"], environment: [setting.environmentName: value])
        #expect(fromEnvironment.optionalString(setting) == value)
        let fromFlag = SettingsReader(arguments: ["roster", setting.flag, value], environment: [setting.environmentName: "other"])
        #expect(fromFlag.optionalString(setting) == value)
    }

    @Test func defaultsAndValidation() throws {
        let configuration = try ServiceConfiguration(service: .audience, reader: SettingsReader(arguments: [], environment: Self.required))
        #expect(configuration.port == 8082)
        #expect(configuration.maxBodyBytes == 1_048_576)
        #expect(configuration.schema == "audience")
        var bad = Self.required
        bad["ROSTER_HTTP_PORT"] = "eighty"
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: .users, reader: SettingsReader(arguments: [], environment: bad))
        }
        bad = Self.required
        bad["ROSTER_SERVICE_SECRET"] = "short"
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: .users, reader: SettingsReader(arguments: [], environment: bad))
        }
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: .users, reader: SettingsReader(arguments: [], environment: [:]))
        }
    }

    @Test func effectiveConfigurationRedactsSecrets() throws {
        let reader = SettingsReader(arguments: [], environment: Self.required)
        _ = try ServiceConfiguration(service: .users, reader: reader)
        let effective = reader.effectiveConfiguration()
        #expect(effective["ROSTER_DATABASE_URL"] == "<redacted>")
        #expect(effective["ROSTER_SERVICE_SECRET"] == "<redacted>")
        #expect(effective["ROSTER_HTTP_PORT"] == "8081")
        #expect(!effective.values.contains { $0.contains("secretpassword") })
    }

    /// The README's configuration table names every setting.
    @Test func readmeDocumentsEverySetting() throws {
        let readme = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for setting in Setting.catalog {
            #expect(readme.contains("`\(setting.environmentName)`"), "README lacks \(setting.environmentName)")
        }
    }
}
