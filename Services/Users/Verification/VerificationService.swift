import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// The users service's side of the verification service's internal API: issue a code, check one.
struct VerificationService: Sendable {
    let client: InternalClient

    /// Issues a code of `type` to `destination`; with `cooldown`, a 429 (`TooManyRequests`)
    /// when one went there a moment ago.
    func issue(
        _ type: VerificationCodes.Kind, userID: EntityID, applicationID: EntityID, destination: String, idempotencyKey: String,
        cooldown: Bool
    ) async throws -> VerificationCodes.Issued {
        let issue = VerificationCodes.Issue(
            applicationId: applicationID, type: type, userId: userID, destination: destination, idempotencyKey: idempotencyKey,
            cooldown: cooldown)
        do {
            return try await self.client.call(
                .verification, .POST, VerificationCodes.issuePath, body: issue, idempotent: true, as: VerificationCodes.Issued.self)
        } catch InternalCallError.rejected(_, 429, let problem) {
            throw TooManyRequests(
                retryAfter: problem?.retryAfter ?? 60, code: "resend_cooldown",
                detail: "A code was sent to this address a moment ago; it is still valid.")
        }
    }

    /// Checks and uses up a code or link token; `nil` when it is refused (wrong, expired, used,
    /// locked or superseded — the verification service does not say which).
    func check(
        _ type: VerificationCodes.Kind, userID: EntityID?, code: String?, token: String?, applicationID: EntityID
    ) async throws -> VerificationCodes.Checked? {
        let check = VerificationCodes.Check(applicationId: applicationID, type: type, userId: userID, code: code, token: token)
        do {
            // Not retried: a check that reached the service counted an attempt.
            return try await self.client.call(
                .verification, .POST, VerificationCodes.checkPath, body: check, idempotent: false, as: VerificationCodes.Checked.self)
        } catch InternalCallError.rejected(_, 422, let problem) where problem?.code == VerificationCodes.invalidCode.code {
            return nil
        }
    }
}
