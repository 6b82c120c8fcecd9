import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// Asks the verification service for a code on behalf of a registration (`REGR`, queued in the
/// transaction that creates the user) or a forgotten password (`RPWR`, queued for every
/// well-formed email, known or not, so the answer and its timing say nothing about the email).
/// A job of the runtime's queue: verification being down delays the code, never loses it; the
/// job's id is the idempotency key, so a retried job issues one code.
struct VerificationRequestJob: JobHandler {
    static let kind = "users.verification"
    var kind: String { Self.kind }
    /// Attempts (backoff up to 5 minutes apart): hours of verification downtime.
    static let maxAttempts = 50
    let users: UserRepository
    let verification: VerificationService

    /// A registration's code for `userID`.
    static func registration(_ userID: EntityID) -> JSONValue {
        ["type": .string(VerificationCodes.Kind.registration.rawValue), "userId": .string(userID.description)]
    }

    /// A password reset for whoever has `email`.
    static func passwordReset(_ email: String) -> JSONValue {
        ["type": .string(VerificationCodes.Kind.passwordReset.rawValue), "email": .string(email)]
    }

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let applicationID = job.applicationId, case .object(let payload) = job.payload, case .string(let typeText)? = payload["type"],
            let type = VerificationCodes.Kind(rawValue: typeText)
        else { return Self.skipped("the job is malformed") }
        let user: User?
        switch (payload["userId"], payload["email"]) {
        case (.string(let text)?, _):
            guard let id = EntityID(text) else { return Self.skipped("the job is malformed") }
            user = try await self.users.find(id, applicationID: applicationID, logger: context.logger)
        case (_, .string(let email)?):
            user = try await self.users.find(by: .email, value: email, applicationID: applicationID, logger: context.logger)
        default:
            return Self.skipped("the job names no user")
        }
        guard let user, let email = user.profile.email else { return Self.skipped("no such user with an email") }
        if type == .registration, user.emailVerified { return Self.skipped("the email is already verified") }
        do {
            let issued = try await self.verification.issue(
                type, userID: user.id, applicationID: applicationID, destination: email, idempotencyKey: "users-job/\(job.id)",
                cooldown: type == .passwordReset)
            return ["outcome": "issued", "requestId": .string(issued.id.description)]
        } catch is TooManyRequests {
            return Self.skipped("a code was sent to this address a moment ago")
        }
    }
}
