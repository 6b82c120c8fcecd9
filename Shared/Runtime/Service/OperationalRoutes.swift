import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PostgresNIO
import Prometheus
import RosterProtocol
import Synchronization

/// The routes every service has: health, metrics, its OpenAPI document and the internal ping.
enum OperationalRoutes {
    static func register(on router: Router<RosterRequestContext>, runtime: ServiceRuntime, openAPI: Data) {
        router.get("health/live") { _, _ in
            try JSONResponses.json(["status": "ok"])
        }
        router.get("health/ready") { _, context in
            guard await Self.databaseAnswers(runtime.postgres, logger: context.logger) else {
                throw Problem.unavailable("The database does not answer.")
            }
            return try JSONResponses.json(["status": "ready"])
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: runtime.metrics.emitToBuffer())))
        }
        router.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
    }

    static func registerInternal(on group: RouterGroup<RosterRequestContext>, runtime: ServiceRuntime, consumer: (any EventConsumer)?) {
        group.get("ping") { _, context in
            try JSONResponses.json(PingResponse(service: runtime.service.rawValue, caller: context.callerService ?? ""))
        }
        if let consumer {
            let ingest = EventIngest(client: runtime.postgres, consumer: consumer, logger: runtime.logger)
            group.post("events") { request, context in
                let batch = try await request.decodeJSON(as: EventBatch.self, context: context)
                guard batch.events.allSatisfy({ $0.source == context.callerService }) else {
                    throw Problem.forbidden("A service may only deliver events it produced.")
                }
                return try JSONResponses.json(await ingest.receive(batch))
            }
        }
    }

    /// `SELECT 1` within two seconds; a hung query does not hold the probe longer.
    static func databaseAnswers(_ client: PostgresClient, logger: Logger) async -> Bool {
        let answer = FirstAnswer()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            answer.attach(continuation)
            let probe = Task {
                answer.settle((try? await client.query("SELECT 1", logger: logger).collect()) != nil)
            }
            Task {
                try? await Task.sleep(for: .seconds(2))
                probe.cancel()
                answer.settle(false)
            }
        }
    }
}

/// Resumes a continuation with whichever answer comes first.
private final class FirstAnswer: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Bool, Never>?, settled: Bool)>((nil, false))

    func attach(_ continuation: CheckedContinuation<Bool, Never>) {
        self.state.withLock { $0.continuation = continuation }
    }

    func settle(_ value: Bool) {
        let continuation: CheckedContinuation<Bool, Never>? = self.state.withLock { state in
            guard !state.settled else { return nil }
            state.settled = true
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
