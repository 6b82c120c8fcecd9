import Crypto
import Foundation

/// One SQL migration file, identified by its namespace and file name (`users/0001_users.sql`).
///
/// A file whose first line is `-- roster:no-transaction` runs outside a transaction, for
/// statements PostgreSQL refuses inside one (`CREATE INDEX CONCURRENTLY`).
public struct Migration: Sendable, Equatable {
    public var id: String
    public var sql: String
    public var checksum: String
    public var transactional: Bool

    public init(id: String, sql: String) {
        self.id = id
        self.sql = sql
        self.checksum = Hex.encode(SHA256.hash(data: Data(sql.utf8)))
        self.transactional = !sql.hasPrefix("-- roster:no-transaction")
    }

    /// Every `*.sql` file of `directory` (none if it does not exist), in file-name order, ids prefixed with `namespace/`.
    public static func load(from directory: URL, namespace: String) throws -> [Migration] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try names.map { name in
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return Migration(id: "\(namespace)/\(name)", sql: sql)
        }
    }

    /// The migrations every service schema gets from the runtime: outbox, inbox and job queue.
    public static func runtime() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil, subdirectory: "Resources")
        else { throw ConfigurationError("the runtime's migrations are missing from its resource bundle") }
        return try load(from: directory, namespace: "runtime")
    }
}
