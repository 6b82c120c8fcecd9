import Foundation

/// Where the test command put things: the throwaway PostgreSQL cluster, the built binaries.
///
/// `deploy/local/test.sh` sets these; running `swift test` without it fails every test that
/// needs them, with a message saying so (such tests must not silently pass).
public enum TestEnvironment {
    /// Superuser URL of the throwaway cluster.
    public static var postgresURL: String {
        get throws { try self.required("ROSTER_TEST_POSTGRES_URL") }
    }

    /// The folder holding `roster-users` and the other products.
    public static var binaryDirectory: URL {
        get throws { URL(fileURLWithPath: try self.required("ROSTER_TEST_BIN_DIR")) }
    }

    /// The Python with `aiosmtpd` that runs the test sinks (the test command's venv).
    public static var python: String {
        get throws { try self.required("ROSTER_TEST_PYTHON") }
    }

    /// The repository's root folder.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func required(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSetupError("\(name) is not set: run the tests with deploy/local/test.sh")
        }
        return value
    }
}

/// The test environment is not prepared.
public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
