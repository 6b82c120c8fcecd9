import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

extension VerificationRequestRepository {
    /// Checks a code or link token under a row lock and uses the request up when it matches; a
    /// wrong one counts an attempt, and the fifth locks the request. `nil` for every refusal
    /// (no such request, wrong, expired, used, locked, superseded), so callers cannot tell them apart.
    func check(_ check: VerificationCodes.Check, logger: Logger) async throws -> VerificationCodes.Checked? {
        let app = check.applicationId
        let target: SQLFragment
        if let token = check.token {
            guard let id = VerificationSecret.requestID(ofToken: token) else { return nil }
            target = "id = \(id)"
        } else if let user = check.userId, check.code != nil {
            // Only the user's active request of the type counts: an older code is a wrong code.
            // Wrong codes count across requests too: past `maxDailyAttempts` in a day nothing is
            // compared, so asking for new codes does not buy new guesses.
            target = """
                status = 'active' AND user_id = \(user)
                AND (SELECT coalesce(sum(attempts), 0) FROM verification_requests WHERE application_id = \(app) AND user_id = \(user)
                    AND type_code = \(check.type.rawValue) AND created_at > now() - interval '1 day') < \(Self.maxDailyAttempts)
                """
        } else {
            return nil
        }
        return try await self.client.withTransaction(logger: logger) { connection in
            let select: SQLFragment = """
                SELECT id, user_id, destination, code_hash, token_hash, status = 'active' AND expires_at > now()
                FROM verification_requests
                WHERE application_id = \(app) AND type_code = \(check.type.rawValue) AND \(target)
                FOR UPDATE
                """
            let rows = try await connection.query(select.query(), logger: logger).decode((EntityID, EntityID, String, Data, Data, Bool).self)
            guard let (id, user, destination, codeHash, tokenHash, live) = try await rows.first(where: { _ in true }), live else {
                return nil
            }
            let key = self.configuration.codeKey
            let matches =
                if let token = check.token {
                    VerificationSecret.tokenMatches(token, stored: tokenHash, key: key)
                } else {
                    VerificationSecret.codeMatches(check.code ?? "", requestID: id, stored: codeHash, key: key)
                }
            let update: SQLFragment =
                matches
                ? "UPDATE verification_requests SET status = 'used', used_at = now() WHERE application_id = \(app) AND id = \(id)"
                : """
                UPDATE verification_requests SET attempts = attempts + 1,
                    status = CASE WHEN attempts + 1 >= \(Self.maxAttempts) THEN 'locked' ELSE status END
                WHERE application_id = \(app) AND id = \(id)
                """
            try await connection.query(update.query(), logger: logger)
            return matches ? VerificationCodes.Checked(requestId: id, userId: user, destination: destination) : nil
        }
    }
}

extension VerificationRequestRepository {
    /// What the delivery of an active request needs.
    struct Pending: Sendable {
        var kind: VerificationCodes.Kind
        var userID: EntityID
        var destination: String
        var secondsLeft: Int
    }

    /// The request `id` while it is active and unexpired, else `nil`.
    func pending(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Pending? {
        let select: SQLFragment = """
            SELECT type_code, user_id, destination, ceil(extract(epoch FROM expires_at - now()))::int FROM verification_requests
            WHERE application_id = \(applicationID) AND id = \(id) AND status = 'active' AND expires_at > now()
            """
        for try await (type, user, destination, left) in try await self.client.query(select.query(), logger: logger).decode(
            (String, EntityID, String, Int).self)
        {
            guard let kind = VerificationCodes.Kind(rawValue: type) else { return nil }
            return Pending(kind: kind, userID: user, destination: destination, secondsLeft: left)
        }
        return nil
    }

    /// Records that notification accepted the request's message.
    func markSent(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws {
        let update: SQLFragment = "UPDATE verification_requests SET sent_at = coalesce(sent_at, now()) WHERE application_id = \(applicationID) AND id = \(id)"
        try await self.client.query(update.query(), logger: logger)
    }
}
