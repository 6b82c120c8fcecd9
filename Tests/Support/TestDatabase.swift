import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// A fresh database in the throwaway cluster, with the four service roles and schemas made
/// by `deploy/postgres/bootstrap.sql` (role names are prefixed so databases never share roles).
public struct TestDatabase: Sendable {
    public let name: String
    public let host: String
    public let port: Int
    let superuser: String
    let superPassword: String
    let passwords: [ServiceName: String]

    /// Creates the database and its roles.
    public static func create() throws -> TestDatabase {
        let admin = try DatabaseURL(TestEnvironment.postgresURL)
        let name = "t_" + Shell.randomText(10).lowercased()
        var passwords: [ServiceName: String] = [:]
        for service in ServiceName.allCases { passwords[service] = Shell.randomText(24) }
        let database = TestDatabase(
            name: name, host: admin.host, port: admin.port, superuser: admin.username, superPassword: admin.password ?? "",
            passwords: passwords)
        try database.psql(database: "postgres", ["-c", "CREATE DATABASE \(name)"])
        // The same script as every deployment, variables (passwords) on standard input.
        var script = "\\set role_prefix '\(name)_'\n"
        for service in ServiceName.allCases { script += "\\set \(service.rawValue)_password '\(passwords[service]!)'\n" }
        script += try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("deploy/postgres/bootstrap.sql"), encoding: .utf8)
        try database.psql(database: name, ["-f", "-"], input: script)
        return database
    }

    /// The role a service connects as.
    public func role(_ service: ServiceName) -> String { "\(self.name)_\(service.rawValue)" }

    /// The URL a service uses.
    public func url(for service: ServiceName) -> String {
        "postgres://\(self.role(service)):\(self.passwords[service]!)@\(self.host):\(self.port)/\(self.name)"
    }

    /// Runs SQL as the superuser and returns psql's unaligned output (`|`-separated columns).
    @discardableResult
    public func sql(_ statement: String) throws -> String {
        try self.psql(database: self.name, ["-tA", "-c", statement]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A single integer from a query run as the superuser.
    public func count(_ statement: String) throws -> Int {
        let text = try self.sql(statement)
        guard let value = Int(text) else { throw TestSetupError("not a number from \(statement): \(text)") }
        return value
    }

    /// Runs `statement` as a service's own role; returns psql's output or throws with its error.
    @discardableResult
    public func sqlAs(_ service: ServiceName, _ statement: String) throws -> String {
        try Shell.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", "\(self.port)", "-U", self.role(service), "-d", self.name,
             "-tA", "-c", statement],
            environment: ["PGPASSWORD": self.passwords[service]!])
    }

    /// Drops the database and its roles.
    public func drop() {
        _ = try? self.psql(database: "postgres", ["-c", "DROP DATABASE IF EXISTS \(self.name) WITH (FORCE)"])
        for service in ServiceName.allCases {
            _ = try? self.psql(database: "postgres", ["-c", "DROP ROLE IF EXISTS \(self.role(service))"])
        }
    }

    @discardableResult
    func psql(database: String, _ arguments: [String], input: String? = nil) throws -> String {
        try Shell.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", "\(self.port)", "-U", self.superuser, "-d", database]
                + arguments,
            environment: ["PGPASSWORD": self.superPassword], input: input)
    }

    /// Runs `body` with a PostgresClient connected as `service`'s role (read-only, like a read
    /// replica's pool, when asked).
    public func withClient<T: Sendable>(
        as service: ServiceName, readOnly: Bool = false, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let url = try DatabaseURL(self.url(for: service))
        let client = PostgresClient(
            configuration: url.clientConfiguration(schema: service.rawValue, applicationName: "roster-tests", poolSize: 4, readOnly: readOnly),
            backgroundLogger: Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let result = try await body(client)
            return result
        }
    }
}
