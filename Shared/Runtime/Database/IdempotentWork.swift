import Crypto
import Foundation
import Logging
import PostgresNIO
import RosterProtocol

/// Runs a request's work at most once per `Idempotency-Key`: the answer is stored in the
/// work's own transaction, and a retry with the same key (and the same request) gets it back
/// without the work running again. Two retries at once take turns on an advisory lock.
public struct IdempotentWork: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) { self.client = client }

    /// The answer `work` gives in a transaction, or the stored one when `key` was used before
    /// for `operation`; `replayed` says which. The same key with another `request` body (JSON
    /// compared with its keys sorted) is a 422.
    public func run(
        key: String?, operation: String, applicationID: EntityID, request: Data, logger: Logger,
        work: (PostgresConnection) async throws -> Data
    ) async throws -> (body: Data, replayed: Bool) {
        guard let key else {
            return (try await self.client.withTransaction(logger: logger) { try await work($0) }, false)
        }
        let fingerprint = Data(SHA256.hash(data: Self.canonical(request)))
        return try await self.client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("idempotency:\(applicationID):\(operation):\(key)")))", logger: logger)
            let select: SQLFragment = """
                SELECT fingerprint, body FROM idempotent_results
                WHERE application_id = \(applicationID) AND operation = \(operation) AND key = \(key)
                """
            for try await (stored, body) in try await connection.query(select.query(), logger: logger).decode((Data, Data).self) {
                guard stored == fingerprint else {
                    throw Problem(
                        status: 422, code: "idempotency_key_reused", title: "Idempotency-Key reused",
                        detail: "This Idempotency-Key was used for a different request; use a new key for a new request.")
                }
                return (body, true)
            }
            let body = try await work(connection)
            let insert: SQLFragment = """
                INSERT INTO idempotent_results (application_id, operation, key, fingerprint, body)
                VALUES (\(applicationID), \(operation), \(key), \(fingerprint), \(body))
                """
            try await connection.query(insert.query(), logger: logger)
            return (body, false)
        }
    }

    /// A JSON body with its keys sorted, so the same request written in another key order is
    /// still the same request; other bodies as they are.
    static func canonical(_ body: Data) -> Data {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body) else { return body }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)) ?? body
    }
}
