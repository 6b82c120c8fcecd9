import Foundation
import Logging
import RosterProtocol
import RosterRuntime

/// Hands one request's code to the notification service (`POST /internal/v1/messages`) with
/// the type's template: a job of the runtime's queue, so a notification service that is down
/// gets the message when it returns. The request id is the message's idempotency key, so a
/// retried hand-over never sends twice. A request no longer active by then is not sent.
struct CodeDeliveryJob: JobHandler {
    static let kind = "verification.deliver"
    var kind: String { Self.kind }
    let requests: VerificationRequestRepository
    let notification: InternalClient
    let configuration: VerificationConfiguration

    /// Where a request's sealed code belongs: its own delivery and no other.
    static func sealingContext(_ requestID: EntityID) -> String { "\(Self.kind)/\(requestID)" }

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let applicationID = job.applicationId, case .object(let payload) = job.payload,
            case .string(let idText)? = payload["requestId"], let id = EntityID(idText), let sealed = payload["secret"],
            case .object(let secret)? = self.configuration.keys.openJSON(sealed, context: Self.sealingContext(id)),
            case .string(let code)? = secret["code"], case .string(let token)? = secret["token"]
        else { return Self.skipped("the delivery is malformed or its key is gone") }
        guard let pending = try await self.requests.pending(id, applicationID: applicationID, logger: context.logger) else {
            return Self.skipped("the request is no longer active")
        }
        let type = RequestType.catalog(self.configuration).first { $0.code == pending.kind }!
        var variables: [String: JSONValue] = [
            "code": .string(code), "token": .string(token), "type": .string(pending.kind.rawValue),
            "expiresInMinutes": .integer(Int64(max(1, (pending.secondsLeft + 59) / 60))),
        ]
        if let base = self.configuration.linkURL {
            var link = URLComponents(url: base, resolvingAgainstBaseURL: false)!
            link.queryItems = [URLQueryItem(name: "type", value: pending.kind.rawValue), URLQueryItem(name: "token", value: token)]
            variables["link"] = link.string.map(JSONValue.string)
        }
        let message = NotificationMessages.Request(
            applicationId: applicationID, channel: type.channel, template: type.template, userId: pending.userID, to: pending.destination,
            variables: variables, idempotencyKey: "verification/\(id)")
        do {
            let accepted = try await self.notification.call(
                .notification, .POST, NotificationMessages.path, body: message, idempotent: true, as: NotificationMessages.Accepted.self)
            try await self.requests.markSent(id, applicationID: applicationID, logger: context.logger)
            return ["outcome": "sent", "deliveryId": .string(accepted.id.description)]
        } catch InternalCallError.rejected(_, let status, let problem) where status == 400 || status == 422 {
            // A refusal of the message itself (an address notification will not take) does not
            // heal by retrying; any other answer (401 during a secret rotation, 404 during a
            // rolling deploy, 429) is retried with the job's backoff.
            return ["outcome": "refused", "status": .integer(Int64(status)), "reason": .string(problem?.detail ?? "")]
        }
    }
}
