import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Failed sign-ins per account and per client address, and the locks they cause.
///
/// Past `threshold` failures a subject is locked for `base · 2^(failures − threshold)`
/// seconds (at most `max`); failures older than a day are forgotten; a successful sign-in
/// clears the account's failures (not the address's).
struct LockoutRepository: Sendable {
    let client: PostgresClient
    let threshold: Int
    let baseSeconds: Int
    let maxSeconds: Int

    /// What a lock is about.
    enum Kind: String, Sendable {
        case account, address
    }

    /// A lockout record as administrators see it.
    struct Lockout: Encodable, Sendable, KeysetPageable {
        var id: EntityID
        var kind: String
        var subject: String
        var failures: Int
        var lastFailureAt: Date
        var lockedUntil: Date?

        func sortValue(for field: String) -> String? {
            field == "lastFailureAt" ? RosterJSON.formatTimestamp(self.lastFailureAt) : nil
        }
    }

    static let listSpec = ListQuerySpec(
        sortFields: ["lastFailureAt": .init(column: "last_failure_at", type: .timestamp)],
        defaultSort: [SortKey("lastFailureAt", descending: true)],
        filters: ["kind": .choice(["account", "address"]), "locked": .boolean])

    /// Seconds until the longest current lock of these subjects ends; `nil` when none is locked.
    func lockedFor(_ subjects: [(Kind, String)], applicationID: EntityID, logger: Logger) async throws -> Int? {
        let kinds = subjects.map(\.0.rawValue)
        let names = subjects.map(\.1)
        let select: SQLFragment = """
            SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int FROM login_failures
            WHERE application_id = \(applicationID) AND locked_until > now()
              AND (kind, subject) IN (SELECT * FROM unnest(\(kinds)::text[], \(names)::text[]))
            """
        return try await self.client.query(select.query(), logger: logger).decode(Int?.self).first(where: { _ in true }) ?? nil
    }

    /// Counts a failure of each subject and locks those past the threshold.
    func recordFailure(_ subjects: [(Kind, String)], applicationID: EntityID, logger: Logger) async throws {
        for (kind, subject) in subjects {
            let upsert: SQLFragment = """
                INSERT INTO login_failures (id, application_id, kind, subject, failures, last_failure_at)
                VALUES (\(EntityID.generate()), \(applicationID), \(kind.rawValue), \(subject), 1, now())
                ON CONFLICT (application_id, kind, subject) DO UPDATE SET
                    failures = CASE WHEN login_failures.last_failure_at < now() - interval '1 day' THEN 1
                                    ELSE login_failures.failures + 1 END,
                    last_failure_at = now()
                RETURNING failures
                """
            guard let failures = try await self.client.query(upsert.query(), logger: logger).decode(Int.self).first(where: { _ in true }),
                failures >= self.threshold
            else { continue }
            let seconds = min(Double(self.maxSeconds), Double(self.baseSeconds) * pow(2, Double(min(failures - self.threshold, 30))))
            let lock: SQLFragment = """
                UPDATE login_failures SET locked_until = now() + make_interval(secs => \(seconds))
                WHERE application_id = \(applicationID) AND kind = \(kind.rawValue) AND subject = \(subject)
                """
            try await self.client.query(lock.query(), logger: logger)
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    func clearAccount(_ subject: String, applicationID: EntityID, logger: Logger) async throws {
        try await self.client.query(
            "DELETE FROM login_failures WHERE application_id = \(applicationID) AND kind = 'account' AND subject = \(subject)",
            logger: logger)
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Lockout> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)"]
        if case .string(let kind) = query.filter("kind") { conditions.append("kind = \(kind)") }
        if case .boolean(let locked) = query.filter("locked") {
            conditions.append(locked ? "locked_until > now()" : "(locked_until IS NULL OR locked_until <= now())")
        }
        let filtered = SQLFragment.all(conditions)
        let select: SQLFragment = """
            SELECT id, kind, subject, failures, last_failure_at, locked_until FROM login_failures
            WHERE \(filtered) AND \(try query.keysetCondition(Self.listSpec))
            \(query.orderClause(Self.listSpec)) \(query.pageClause)
            """
        var items: [Lockout] = []
        for try await (id, kind, subject, failures, last, locked) in try await self.client.query(select.query(), logger: logger).decode(
            (EntityID, String, String, Int, Date, Date?).self)
        {
            items.append(Lockout(id: id, kind: kind, subject: subject, failures: failures, lastFailureAt: last, lockedUntil: locked))
        }
        let count: SQLFragment = "SELECT count(*) FROM login_failures WHERE \(filtered)"
        let total = try await self.client.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
        return query.page(from: items, total: total)
    }

    /// Clears a lock and its failures; `false` when there is no such record.
    func clear(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM login_failures WHERE application_id = \(applicationID) AND id = \(id) RETURNING id"
        return !(try await self.client.query(delete.query(), logger: logger).collect().isEmpty)
    }
}
