import Foundation
import RosterProtocol
import RosterRuntime

/// Delivers one email, SMS or webhook request: a job of the runtime's queue, so it retries
/// with exponential backoff and jitter, survives restarts, and is dead-lettered (`failed`,
/// re-drivable) after `notification.deliveryAttempts` attempts, or at once when the SMTP server
/// refuses the recipient or the message for good (see `SMTPError.isPermanent`). Emails go to the SMTP server,
/// or to the dev mailbox when none is configured; text messages go to the dev mailbox.
struct DeliveryJob: JobHandler {
    static let kind = "notification.deliver"
    var kind: String { Self.kind }
    let composer: DeliveryComposer
    let mailbox: MailboxRepository
    let webhooks: WebhookRepository
    let sender: WebhookSender
    let smtp: SMTPClient?

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let applicationID = job.applicationId, let payload = DeliveryPayload(job.payload) else {
            return Self.skipped("the delivery is malformed")
        }
        let logger = context.logger
        switch payload.channel {
        case .email, .sms:
            switch try await self.composer.message(payload, applicationID: applicationID, logger: logger) {
            case .skip(let reason):
                return Self.skipped(reason)
            case .ready(let to, let content):
                if payload.channel == .email, let smtp = self.smtp {
                    let message = EmailMessage(
                        from: smtp.settings.from, to: to, subject: content.subject, text: content.text, html: content.html,
                        messageID: "\(job.id)@roster")
                    do {
                        try await smtp.send(message)
                    } catch let error as SMTPError where error.isPermanent {
                        throw PermanentJobError(error)
                    }
                    return ["outcome": "sent", "to": .string(to)]
                }
                try await self.mailbox.store(
                    deliveryID: job.id, applicationID: applicationID, channel: payload.channel, to: to, content: content, logger: logger)
                return ["outcome": "mailbox", "to": .string(to)]
            }
        case .webhook:
            guard let target = try await self.webhooks.target(applicationID: applicationID, logger: logger) else {
                return Self.skipped("no webhook endpoint is configured")
            }
            guard
                let body = try await self.composer.webhookBody(
                    payload, deliveryID: job.id, createdAt: job.createdAt, applicationID: applicationID, logger: logger)
            else { return Self.skipped("the user or the broadcast is gone") }
            try await self.sender.post(body, to: target, deliveryID: job.id.description)
            return ["outcome": "sent", "to": .string(target.url)]
        }
    }
}
