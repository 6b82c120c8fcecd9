import Crypto
import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Failed sign-ins per account and per client address, and the locks they cause.
///
/// An attempt is reserved before its password is checked and released afterwards, so that
/// parallel guesses count against the same budget: up to the threshold of the subject's kind
/// failures are allowed (fewer at once when some already failed; one at a time after a lock).
/// Addresses get a higher threshold than accounts, as many users may share one address.
/// Reaching it locks the subject for `base · 2^(failures − threshold)` seconds (at most `max`);
/// failures older than a day are forgotten; a successful sign-in clears the account's
/// failures. An attempt left reserved by a crashed process stops counting after a minute.
struct LockoutRepository: Sendable {
    let client: PostgresClient
    let accountThreshold: Int
    let addressThreshold: Int
    let baseSeconds: Int
    let maxSeconds: Int
    /// Keys the hash of names no account has (derived from the service secret), so a name
    /// typed by mistake (say, a password) cannot be found again from its record by guessing.
    let nameKey: SymmetricKey

    /// The subject of a sign-in: the matched user, or a keyed hash of the name typed (which
    /// might be a password typed in the wrong field, so it is never stored as is).
    func account(user: EntityID?, typed: String) -> Subject {
        if let user { return Subject(kind: .account, name: "user:\(user)") }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(typed.lowercased().utf8), using: self.nameKey)
        return Subject(kind: .account, name: "name:" + Hex.encode(Data(mac).prefix(12)))
    }

    /// Releases reservations without counting anything (the check itself failed, not the credentials).
    func released(_ subjects: [Subject], applicationID: EntityID, logger: Logger) async throws {
        for subject in subjects { try await self.release(subject, applicationID: applicationID, logger: logger) }
    }

    func threshold(of kind: Kind) -> Int {
        kind == .account ? self.accountThreshold : self.addressThreshold
    }

    /// What a lock is about.
    enum Kind: String, Sendable {
        case account, address
    }

    /// One locked thing: an account (`user:<id>`, or `name:<hash>` for a name no account has)
    /// or a client address.
    struct Subject: Sendable {
        var kind: Kind
        var name: String

        static func address(_ address: String) -> Subject { Subject(kind: .address, name: address) }
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

    /// Reserves one attempt of each subject; returns the seconds to wait instead when one is
    /// locked or has no attempt left right now (nothing stays reserved then).
    func reserve(_ subjects: [Subject], applicationID: EntityID, logger: Logger) async throws -> Int? {
        var reserved: [Subject] = []
        for subject in subjects {
            let upsert: SQLFragment = """
                INSERT INTO login_failures (id, application_id, kind, subject, failures, in_flight, reserved_at)
                VALUES (\(EntityID.generate()), \(applicationID), \(subject.kind.rawValue), \(subject.name), 0, 1, now())
                ON CONFLICT (application_id, kind, subject) DO UPDATE SET
                    failures = CASE WHEN login_failures.last_failure_at < now() - interval '1 day' THEN 0 ELSE login_failures.failures END,
                    in_flight = CASE WHEN login_failures.reserved_at < now() - interval '1 minute' THEN 1 ELSE login_failures.in_flight + 1 END,
                    reserved_at = now()
                RETURNING failures, in_flight, ceil(extract(epoch FROM coalesce(locked_until, now()) - now()))::int
                """
            let rows = try await self.client.query(upsert.query(), logger: logger)
            var wait: Int?
            for try await (failures, inFlight, lockedFor) in rows.decode((Int, Int, Int).self) {
                if lockedFor > 0 {
                    wait = lockedFor
                } else if inFlight > max(1, self.threshold(of: subject.kind) - failures) {
                    wait = 1
                }
            }
            reserved.append(subject)
            if let wait {
                for subject in reserved { try await self.release(subject, applicationID: applicationID, logger: logger) }
                return wait
            }
        }
        return nil
    }

    /// Releases the reservations of a failed attempt: counts the failure, locks what reached the threshold.
    func failed(_ subjects: [Subject], applicationID: EntityID, logger: Logger) async throws {
        for subject in subjects {
            let threshold = self.threshold(of: subject.kind)
            let update: SQLFragment = """
                UPDATE login_failures SET
                    failures = failures + 1, last_failure_at = now(), in_flight = greatest(in_flight - 1, 0),
                    locked_until = CASE WHEN failures + 1 >= \(threshold)
                        THEN now() + make_interval(secs => least(\(Double(self.maxSeconds)),
                            \(Double(self.baseSeconds)) * power(2, least(failures + 1 - \(threshold), 30))))
                        ELSE locked_until END
                WHERE application_id = \(applicationID) AND kind = \(subject.kind.rawValue) AND subject = \(subject.name)
                """
            try await self.client.query(update.query(), logger: logger)
        }
    }

    /// Releases the reservations of a successful attempt: the account starts afresh.
    func succeeded(_ subjects: [Subject], applicationID: EntityID, logger: Logger) async throws {
        for subject in subjects {
            let update: SQLFragment =
                subject.kind == .account
                ? "DELETE FROM login_failures WHERE application_id = \(applicationID) AND kind = 'account' AND subject = \(subject.name)"
                : """
                UPDATE login_failures SET in_flight = greatest(in_flight - 1, 0)
                WHERE application_id = \(applicationID) AND kind = 'address' AND subject = \(subject.name)
                """
            try await self.client.query(update.query(), logger: logger)
        }
    }

    /// Releases a reservation without counting anything.
    private func release(_ subject: Subject, applicationID: EntityID, logger: Logger) async throws {
        try await self.client.query(
            """
            UPDATE login_failures SET in_flight = greatest(in_flight - 1, 0)
            WHERE application_id = \(applicationID) AND kind = \(subject.kind.rawValue) AND subject = \(subject.name)
            """, logger: logger)
    }

    func list(_ query: ListQuery, applicationID: EntityID, logger: Logger) async throws -> ListPage<Lockout> {
        var conditions: [SQLFragment] = ["application_id = \(applicationID)", "(failures > 0 OR locked_until IS NOT NULL)"]
        if case .string(let kind) = query.filter("kind") { conditions.append("kind = \(kind)") }
        if case .boolean(let locked) = query.filter("locked") {
            conditions.append(locked ? "locked_until > now()" : "(locked_until IS NULL OR locked_until <= now())")
        }
        return try await query.load(
            "id, kind, subject, failures, last_failure_at, locked_until", from: "login_failures", where: conditions, spec: Self.listSpec,
            client: self.client, logger: logger,
            decode: { rows in
                try await rows.decode((EntityID, String, String, Int, Date, Date?).self).array().map {
                    Lockout(id: $0.0, kind: $0.1, subject: $0.2, failures: $0.3, lastFailureAt: $0.4, lockedUntil: $0.5)
                }
            })
    }

    /// Clears a lock and its failures; `false` when there is no such record.
    func clear(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let delete: SQLFragment = "DELETE FROM login_failures WHERE application_id = \(applicationID) AND id = \(id) RETURNING id"
        return !(try await self.client.query(delete.query(), logger: logger).collect().isEmpty)
    }
}
