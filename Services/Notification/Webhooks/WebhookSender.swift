import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RosterRuntime

/// Posts one signed webhook request; anything but a 2xx answer throws, and the delivery queue
/// retries. A URL the address policy refuses fails the delivery at once, without a request.
struct WebhookSender: Sendable {
    let http: HTTPClient
    let policy: WebhookAddressPolicy
    let timeout: TimeAmount = .seconds(10)

    func post(_ body: Data, to target: WebhookRepository.Target, deliveryID: String) async throws {
        if let refusal = try await self.policy.refusal(for: target.url) { throw PermanentJobError(WebhookError.refused(refusal)) }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Roster-Webhook/1")
        request.headers.add(name: WebhookSignature.deliveryHeader, value: deliveryID)
        request.headers.add(name: WebhookSignature.timestampHeader, value: "\(timestamp)")
        request.headers.add(
            name: WebhookSignature.signatureHeader, value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: target.secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await self.http.execute(request, timeout: self.timeout)
        _ = try? await response.body.collect(upTo: 64 << 10)
        guard (200..<300).contains(response.status.code) else { throw WebhookError.answered(Int(response.status.code)) }
    }
}

/// Why a webhook request was not delivered.
enum WebhookError: Error, CustomStringConvertible {
    /// The receiver answered with this status, not a 2xx (a redirect included: none is followed).
    case answered(Int)
    /// The host has no address (retried: DNS may be back later).
    case unresolved(String)
    /// The address policy refuses the URL, and why.
    case refused(String)

    var description: String {
        switch self {
        case .answered(let status): "the webhook receiver answered \(status)"
        case .unresolved(let host): "\(host) has no address"
        case .refused(let reason): reason
        }
    }
}
