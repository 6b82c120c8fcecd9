import Hummingbird
import RosterProtocol
import RosterRuntime

/// Notification's internal API (service token required): direct messages for verification,
/// and a user's settings for the users service's preferences view.
struct NotificationInternalController: Sendable {
    let deliveries: DeliveryRepository
    let templates: TemplateRepository
    let settings: SettingsRepository

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("messages", use: self.send)
        group.get("notification-settings", use: self.userSettings)
    }

    @Sendable func send(_ request: Request, context: RosterRequestContext) async throws -> Response {
        var message = try await request.decodeJSON(as: NotificationMessages.Request.self, context: context)
        var errors: [Problem.FieldError] = []
        if message.idempotencyKey.isEmpty || message.idempotencyKey.count > 200 {
            errors.append(.init(field: "idempotencyKey", code: "invalid", message: "must be 1 to 200 characters"))
        }
        if let to = message.to {
            switch message.channel {
            case .email:
                if let address = EmailAddress.normalize(to) { message.to = address } else {
                    errors.append(.init(field: "to", code: "invalid_email", message: "must be an email address"))
                }
            case .sms:
                if let phone = PhoneNumber.normalize(to) { message.to = phone } else {
                    errors.append(.init(field: "to", code: "invalid_phone", message: "must be a phone number such as +14155550123"))
                }
            }
        } else if message.userId == nil {
            errors.append(.init(field: "to", code: "required", message: "give a userId or an address"))
        }
        if try await self.templates.resolve([message.template], applicationID: message.applicationId, logger: context.logger) == nil {
            errors.append(.init(field: "template", code: "unknown_template", message: "no template \(message.template) in this application"))
        }
        guard errors.isEmpty else { throw Problem.validation("The message is not valid.", errors: errors) }
        let (delivery, replayed) = try await self.deliveries.enqueue(message, logger: context.logger)
        return try JSONResponses.json(
            NotificationMessages.Accepted(id: delivery.id, status: delivery.status.rawValue, replayed: replayed), status: .accepted)
    }

    @Sendable func userSettings(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let application = parameters.get("applicationId").flatMap(EntityID.init),
            let user = parameters.get("userId").flatMap(EntityID.init)
        else { throw Problem.badRequest("Query parameters applicationId and userId must be ids.", code: "invalid_query") }
        return try JSONResponses.json(try await self.settings.settings(userID: user, applicationID: application, logger: context.logger))
    }
}
