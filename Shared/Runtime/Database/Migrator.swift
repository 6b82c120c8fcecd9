import Logging
import PostgresNIO

/// Applies pending migrations to one service schema, once, even when replicas start together.
///
/// Holds a session advisory lock keyed by the schema for the whole run, so a second replica
/// waits and then finds nothing left to do. Each applied file is recorded with its checksum
/// in `schema_migrations`; an applied file that changed afterwards stops the start.
public struct Migrator: Sendable {
    let client: PostgresClient
    let schema: String
    let logger: Logger

    public init(client: PostgresClient, schema: String, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
    }

    /// Applies what is pending and returns the ids it applied.
    @discardableResult
    public func apply(_ migrations: [Migration]) async throws -> [String] {
        let lockKey = "roster.migrations.\(self.schema)"
        let logger = self.logger
        let schema = self.schema
        return try await self.client.withConnection { connection in
            let current = try await connection.query("SELECT current_schema()", logger: logger)
                .decode(String?.self).first(where: { _ in true }) ?? nil
            guard current == schema else {
                throw ConfigurationError(
                    "schema \"\(schema)\" is missing or not usable by this role; create it with deploy/postgres/bootstrap.sql")
            }
            try await connection.query("SELECT pg_advisory_lock(hashtext(\(lockKey)))", logger: logger)
            do {
                let applied = try await Self.applyLocked(migrations, connection: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(lockKey)))", logger: logger)
                throw error
            }
        }
    }

    private static func applyLocked(_ migrations: [Migration], connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var known: [String: String] = [:]
        for try await (id, checksum) in try await connection.query("SELECT id, checksum FROM schema_migrations", logger: logger)
            .decode((String, String).self)
        {
            known[id] = checksum
        }
        var applied: [String] = []
        for migration in migrations {
            if let checksum = known[migration.id] {
                guard checksum == migration.checksum else {
                    throw ConfigurationError("migration \(migration.id) was changed after it was applied; add a new migration instead")
                }
                continue
            }
            let statements = SQLScript.statements(in: migration.sql)
            if migration.transactional {
                try await connection.withTransaction(logger: logger) { transaction in
                    for statement in statements {
                        try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await transaction.query(
                        "INSERT INTO schema_migrations (id, checksum) VALUES (\(migration.id), \(migration.checksum))",
                        logger: logger)
                }
            } else {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (id, checksum) VALUES (\(migration.id), \(migration.checksum))",
                    logger: logger)
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.id)"])
            applied.append(migration.id)
        }
        return applied
    }
}
