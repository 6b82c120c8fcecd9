import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/verification-requests` and `/api/v1/verification-request-types` (seed 001, admins):
/// list and read requests, resend verification emails to a list of addresses, issue new codes
/// for a list of users. Codes are never shown: only the delivery channel sees them.
struct VerificationAdminController: Sendable {
    let requests: VerificationRequestRepository
    let users: KnownUserRepository
    let idempotent: IdempotentWork
    let configuration: VerificationConfiguration

    /// Most emails or users one call names.
    static let batchLimit = 1000

    func register(requests group: RouterGroup<RosterRequestContext>, types: RouterGroup<RosterRequestContext>) {
        types.get { _, context in
            _ = try context.requireAdmin()
            return try JSONResponses.json(TypeList(data: RequestType.catalog(self.configuration)))
        }
        group.get(use: self.list)
        group.post(use: self.create)
        group.post("resend", use: self.resend)
        group.get(":id", use: self.get)
    }

    /// The catalog (four fixed types).
    struct TypeList: Encodable {
        var data: [RequestType]
    }

    /// Requests issued by one call.
    struct Issued: Codable {
        var data: [VerificationRequest]
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let query = try ListQueryParser.parse(request, spec: VerificationRequestRepository.listSpec)
        let page = try await self.requests.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("verification request")
        guard let found = try await self.requests.find(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Problem.notFound("No verification request \(id) in this application.")
        }
        return try JSONResponses.json(found)
    }

    /// `{"requests": [{"userId", "requestTypeCode"}]}`: a new code for each (seed 001 "new request
    /// codes"), superseding the user's active one of that type. Unknown users → 404 naming them.
    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        struct Body: Decodable {
            struct Item: Decodable {
                var userId: EntityID
                var requestTypeCode: VerificationCodes.Kind
            }
            var requests: [Item]
        }
        let principal = try context.requireAdmin()
        let app = principal.applicationID
        let key = try IdempotencyKey.read(request)
        let (body, raw) = try await RequestBodyDecoding.decodeKeepingBody(Body.self, from: request, context: context)
        try Self.checkSize(body.requests.count, field: "requests")
        let known = try await self.users.byID(body.requests.map(\.userId), applicationID: app, logger: context.logger)
        let unknown = body.requests.enumerated().filter { known[$0.element.userId] == nil }
        guard unknown.isEmpty else {
            var problem = Problem.notFound("No such users in this application: \(Set(unknown.map(\.element.userId.description)).sorted().joined(separator: ", ")).")
            problem.errors = unknown.map { .init(field: "requests[\($0.offset)].userId", code: "unknown_user", message: "no such user") }
            throw problem
        }
        var errors: [Problem.FieldError] = []
        var drafts: [VerificationRequestRepository.Draft] = []
        for (index, item) in body.requests.enumerated() {
            let user = known[item.userId]!
            let field = "requests[\(index)]"
            switch item.requestTypeCode {
            case .emailChange:
                errors.append(.init(field: "\(field).requestTypeCode", code: "not_allowed", message: "an email change starts from the user (POST /api/v1/me/email)"))
            case .phone:
                guard let phone = user.phone.flatMap(PhoneNumber.normalize) else {
                    errors.append(.init(field: "\(field).userId", code: "no_phone", message: "the user has no phone number"))
                    continue
                }
                drafts.append(.init(userID: user.id, kind: .phone, destination: phone))
            case .registration, .passwordReset:
                guard let email = user.email.flatMap(EmailAddress.normalize) else {
                    errors.append(.init(field: "\(field).userId", code: "no_email", message: "the user has no email address"))
                    continue
                }
                drafts.append(.init(userID: user.id, kind: item.requestTypeCode, destination: email))
            }
        }
        guard errors.isEmpty else { throw Problem.validation("Some requests cannot be issued; nothing was.", errors: errors) }
        return try await self.issue(drafts, operation: "verification.create", key: key, raw: raw, applicationID: app, context: context)
    }

    /// `{"emails": [...], "requestTypeCode": "REGR"}`: resends the verification email (seed 001) —
    /// a new code for each address's user. Unknown emails → 404 naming them, nothing sent;
    /// users whose address is already verified are left out of a `REGR` resend.
    @Sendable func resend(_ request: Request, context: RosterRequestContext) async throws -> Response {
        struct Body: Decodable {
            var emails: [String]
            var requestTypeCode: VerificationCodes.Kind?
        }
        let principal = try context.requireAdmin()
        let app = principal.applicationID
        let key = try IdempotencyKey.read(request)
        let (body, raw) = try await RequestBodyDecoding.decodeKeepingBody(Body.self, from: request, context: context)
        try Self.checkSize(body.emails.count, field: "emails")
        let kind = body.requestTypeCode ?? .registration
        guard kind == .registration || kind == .passwordReset else {
            throw Problem.validation(
                "Resend sends emails for REGR or RPWR.",
                errors: [.init(field: "requestTypeCode", code: "not_allowed", message: "must be REGR or RPWR")])
        }
        var invalid: [Problem.FieldError] = []
        for (index, email) in body.emails.enumerated() where EmailAddress.normalize(email) == nil {
            invalid.append(.init(field: "emails[\(index)]", code: "invalid_email", message: "is not an email address"))
        }
        guard invalid.isEmpty else { throw Problem.validation("Some emails are not valid; nothing was sent.", errors: invalid) }
        let known = try await self.users.byEmail(body.emails, applicationID: app, logger: context.logger)
        let unknown = body.emails.enumerated().filter { known[$0.element.lowercased()] == nil }
        guard unknown.isEmpty else {
            var problem = Problem.notFound("No users with these emails: \(unknown.map(\.element).joined(separator: ", ")); nothing was sent.")
            problem.errors = unknown.map { .init(field: "emails[\($0.offset)]", code: "unknown_email", message: "no user has this email") }
            throw problem
        }
        let drafts = body.emails.compactMap { email -> VerificationRequestRepository.Draft? in
            let user = known[email.lowercased()]!
            if kind == .registration && user.emailVerified { return nil }
            return .init(userID: user.id, kind: kind, destination: EmailAddress.normalize(user.email ?? email) ?? email)
        }
        return try await self.issue(drafts, operation: "verification.resend", key: key, raw: raw, applicationID: app, context: context)
    }

    /// Issues `drafts` at most once per `Idempotency-Key`; 202 with the requests.
    private func issue(
        _ drafts: [VerificationRequestRepository.Draft], operation: String, key: String?, raw: Data, applicationID: EntityID,
        context: RosterRequestContext
    ) async throws -> Response {
        let (stored, replayed) = try await self.idempotent.run(
            key: key, operation: operation, applicationID: applicationID, request: raw, logger: context.logger
        ) { connection in
            let issued = try await self.requests.issue(drafts, applicationID: applicationID, cooldown: false, on: connection, logger: context.logger)
            let shown = try await self.requests.requests(issued.map(\.id), applicationID: applicationID, on: connection, logger: context.logger)
            return try RosterJSON.makeEncoder().encode(Issued(data: shown))
        }
        return JSONResponses.stored(stored, status: .accepted, replayed: replayed)
    }

    private static func checkSize(_ count: Int, field: String) throws {
        guard (1...Self.batchLimit).contains(count) else {
            throw Problem.validation(
                "Name 1 to \(Self.batchLimit) \(field).", errors: [.init(field: field, code: "invalid_size", message: "1 to \(Self.batchLimit) items")])
        }
    }
}
