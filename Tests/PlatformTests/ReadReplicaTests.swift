import Foundation
import RosterProtocol
import RosterRuntime
import RosterTestSupport
import Testing

/// `ROSTER_DATABASE_READ_URL` (issue 9, "Scaling out"): list, search, export and statistics
/// endpoints read through the read client (seen as its own `application_name`); everything
/// else through the service's own URL.
@Suite struct ReadReplicaTests {
    @Test func listsSearchExportAndStatsReadThroughTheReadURL() async throws {
        try await withPlatform([]) { platform in
            for service in [ServiceName.users, .audience] {
                let process = platform.process(service)
                process.override(["ROSTER_DATABASE_READ_URL": platform.database.url(for: service)])
                try await process.startAndWait(http: platform.http)
            }
            /// Connections of the read clients, by `application_name`.
            func readers() throws -> Set<String> {
                Set(
                    try platform.database.sql(
                        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%-read'"
                    ).split(separator: "\n").map(String.init))
            }
            let users = platform.url(.users) + "/api/v1"
            for name in ["Ann", "Bob"] {
                let created = try await platform.request(.POST, users + "/users", json: ["email": "\(name.lowercased())@example.io", "firstName": name])
                #expect(created.status == 201, "\(created.text)")
            }
            let list = try await platform.request(.GET, users + "/users?q=ann&sort=-createdAt")
            #expect((list.json["data"] as? [[String: Any]])?.count == 1, "\(list.text)")
            #expect(try readers().contains("roster-users-read"))
            #expect(try await platform.request(.GET, users + "/users-stats").status == 200)
            let export = try await platform.request(.GET, users + "/users/export?format=csv&fields=email")
            #expect(export.status == 200 && export.text.contains("bob@example.io"), "\(export.text)")
            // The replica may lag: a user just created reaches audience's search once its event is applied.
            #expect(await eventually(timeout: .seconds(20)) {
                let found = try? await platform.request(.GET, platform.url(.audience) + "/api/v1/audience/users?type=user")
                return (found?.json["data"] as? [[String: Any]])?.count == 2
            })
            #expect(try readers() == ["roster-users-read", "roster-audience-read"])
        }
    }
}
