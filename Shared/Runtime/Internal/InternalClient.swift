import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RosterProtocol

/// Calls `/internal/*` routes of sibling services.
///
/// Every call carries a service token, the current request's `X-Request-Id` and a
/// `traceparent` of its trace, and has a timeout. Idempotent calls are retried a bounded
/// number of times (with jittered backoff) on connection failures and 502/503/504.
public struct InternalClient: Sendable {
    let http: HTTPClient
    let peers: [ServiceName: URL]
    let tokens: ServiceTokens
    let timeout: Duration
    let retries: Int
    let logger: Logger

    public init(
        http: HTTPClient, peers: [ServiceName: URL], tokens: ServiceTokens, timeout: Duration, retries: Int, logger: Logger
    ) {
        self.http = http
        self.peers = peers
        self.tokens = tokens
        self.timeout = timeout
        self.retries = retries
        self.logger = logger
    }

    /// Sends `body` and decodes the answer as `Response`.
    public func call<Response: Decodable>(
        _ service: ServiceName, _ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as Never?,
        idempotent: Bool, retries: Int? = nil, as: Response.Type
    ) async throws -> Response {
        let data = try await self.send(service, method, path, body: body, idempotent: idempotent, retries: retries)
        do {
            return try RosterJSON.makeDecoder().decode(Response.self, from: data)
        } catch {
            throw InternalCallError.unavailable(service: service, reason: "unreadable answer to \(method) \(path)")
        }
    }

    /// Sends `body` and returns the raw answer of a 2xx response.
    public func send(
        _ service: ServiceName, _ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as Never?,
        idempotent: Bool, retries: Int? = nil
    ) async throws -> Data {
        guard let base = self.peers[service] else {
            throw InternalCallError.unavailable(service: service, reason: "no URL configured")
        }
        let payload = try body.map { try RosterJSON.makeEncoder().encode($0) }
        let attempts = 1 + (idempotent ? (retries ?? self.retries) : 0)
        var lastReason = ""
        for attempt in 0..<attempts {
            if attempt > 0 {
                let backoff = 100 * (1 << min(attempt - 1, 6))
                try await Task.sleep(for: .milliseconds(backoff + Int.random(in: 0...backoff)))
            }
            var request = HTTPClientRequest(url: base.absoluteString.trimmingSuffix("/") + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(try await self.tokens.token())")
            request.headers.add(name: "Accept", value: "application/json")
            let metadata = RequestMetadata.current ?? RequestMetadata(requestID: RequestMetadata.newRequestID(), traceparent: nil)
            request.headers.add(name: "X-Request-Id", value: metadata.requestID)
            request.headers.add(name: "traceparent", value: metadata.outgoingTraceparent())
            if let payload {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: payload))
            }
            do {
                let response = try await self.http.execute(request, timeout: .nanoseconds(Int64(self.timeout.nanoseconds)))
                let bytes = try await response.body.collect(upTo: 32 << 20)
                let data = Data(bytes.readableBytesView)
                switch response.status.code {
                case 200..<300:
                    return data
                case 502, 503, 504:
                    lastReason = "answered \(response.status.code)"
                    continue
                case 400..<500:
                    let problem = try? RosterJSON.makeDecoder().decode(Problem.self, from: data)
                    throw InternalCallError.rejected(service: service, status: Int(response.status.code), problem: problem)
                default:
                    throw InternalCallError.unavailable(service: service, reason: "answered \(response.status.code)")
                }
            } catch let error as InternalCallError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastReason = "\(type(of: error))"
                self.logger.debug(
                    "internal call failed", metadata: ["service": "\(service.rawValue)", "path": "\(path)", "attempt": "\(attempt + 1)"])
            }
        }
        throw InternalCallError.unavailable(service: service, reason: lastReason)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        self.hasSuffix(suffix) ? String(self.dropLast(suffix.count)) : self
    }
}
