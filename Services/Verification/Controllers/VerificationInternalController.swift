import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/internal/v1/verification-requests` for the users service: issue a code, check a code.
struct VerificationInternalController: Sendable {
    let requests: VerificationRequestRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("verification-requests", use: self.issue)
        group.post("verification-requests/check", use: self.check)
    }

    /// 202 with the request (never its code); 429 `resend_cooldown` inside the cool-down.
    @Sendable func issue(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: VerificationCodes.Issue.self, context: context)
        var errors: [Problem.FieldError] = []
        if input.idempotencyKey.isEmpty || input.idempotencyKey.count > 200 {
            errors.append(.init(field: "idempotencyKey", code: "invalid", message: "must be 1 to 200 characters"))
        }
        let destination = input.type == .phone ? PhoneNumber.normalize(input.destination) : EmailAddress.normalize(input.destination)
        if destination == nil {
            errors.append(
                .init(field: "destination", code: "invalid", message: input.type == .phone ? "must be a phone number" : "must be an email address"))
        }
        guard errors.isEmpty, let destination else { throw Problem.validation("The request is not valid.", errors: errors) }
        let draft = VerificationRequestRepository.Draft(
            userID: input.userId, kind: input.type, destination: destination, idempotencyKey: input.idempotencyKey)
        let issued = try await self.requests.issue(draft, applicationID: input.applicationId, cooldown: input.cooldown, logger: context.logger)
        return try JSONResponses.json(issued, status: .accepted)
    }

    /// 200 with whose code it was, or 422 `invalid_code` for every kind of refusal.
    @Sendable func check(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(as: VerificationCodes.Check.self, context: context)
        guard (input.code == nil) != (input.token == nil) else {
            throw Problem.validation(
                "Give a code or a token.", errors: [.init(field: "code", code: "required", message: "give exactly one of code and token")])
        }
        if let code = input.code {
            guard input.userId != nil else {
                throw Problem.validation("A code needs its user.", errors: [.init(field: "userId", code: "required", message: "is required with a code")])
            }
            guard VerificationCodes.isCode(code) else {
                throw Problem.validation("The code is 6 digits.", errors: [.init(field: "code", code: "invalid_value", message: "must be 6 digits")])
            }
        }
        if let token = input.token, token.utf8.count > VerificationCodes.maxTokenLength {
            throw Problem.validation(
                "The token is too long.",
                errors: [.init(field: "token", code: "invalid_value", message: "at most \(VerificationCodes.maxTokenLength) characters")])
        }
        guard let checked = try await self.requests.check(input, logger: context.logger) else { throw VerificationCodes.invalidCode }
        return try JSONResponses.json(checked)
    }
}
