import Foundation
import Logging
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// The wake-up hub: a hub that stops while workers still wait on it ends their streams. (It
/// used to finish them while holding its own lock, and each stream's clean-up took that lock
/// again: the process crashed when a drain ran out with workers still waiting.)
@Suite struct NotificationHubTests {
    @Test func stoppingWithWaitersEndsTheirStreams() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let logger = Logger(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let woken = try await database.withClient(as: .users) { client in
            let hub = NotificationHub(client: client, schema: "users", pollInterval: .milliseconds(50), logger: logger)
            let streams = [hub.signals(for: "outbox"), hub.signals(for: "jobs")]
            let running = Task { try await hub.run() }
            try await Task.sleep(for: .milliseconds(300))
            running.cancel()
            try await running.value
            var woken: [Int] = []
            for stream in streams {
                var count = 0
                for await _ in stream { count += 1 }  // returns only once the stream is finished
                woken.append(count)
            }
            return woken
        }
        #expect(woken.count == 2 && woken.allSatisfy { $0 >= 1 }, "\(woken)")
    }
}
