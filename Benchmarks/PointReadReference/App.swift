import Foundation
import Hummingbird
import Logging
import NIOPosix
import PostgresNIO

/// The yardstick of `Benchmarks/point-read.sh`: the least a Hummingbird + PostgresNIO service
/// does to answer `GET /api/v1/users/{id}` — one prepared statement by primary key, seven
/// columns, JSON out; no authentication, middleware, logging or metrics. Never deployed.
///
/// Environment: `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `APPLICATION_ID`
/// (the users' application) and `PORT` (listens on 127.0.0.1).
@main
struct PointReadReference {
    static func main() async throws {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let environment = ProcessInfo.processInfo.environment
        func setting(_ name: String) -> String {
            guard let value = environment[name] else { fatalError("\(name) is not set") }
            return value
        }
        var configuration = PostgresClient.Configuration(
            host: setting("PGHOST"), port: Int(setting("PGPORT"))!, username: setting("PGUSER"), password: setting("PGPASSWORD"),
            database: setting("PGDATABASE"), tls: .disable)
        configuration.options.maximumConnections = 20
        let client = PostgresClient(configuration: configuration)
        let applicationID = UUID(uuidString: setting("APPLICATION_ID"))!
        let logger = Logger(label: "point-read-reference")

        let router = Router()
        router.get("api/v1/users/:id") { _, context -> Person in
            let id = try context.parameters.require("id", as: UUID.self)
            for try await person in try await client.execute(PersonByID(applicationID: applicationID, id: id), logger: logger) {
                return person
            }
            throw HTTPError(.notFound)
        }
        // The client runs as one of the application's services: SIGTERM stops both.
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: Int(setting("PORT"))!)), services: [client])
        try await app.runService()
    }
}

/// The seven columns the reference answers with.
struct Person: Codable, ResponseEncodable {
    let id: UUID
    let email: String?
    let firstName: String?
    let lastName: String?
    let type: String
    let status: String
    let createdAt: Date
}

/// `Person` by application and id.
struct PersonByID: PostgresPreparedStatement {
    static let sql = """
        SELECT id, email, first_name, last_name, type, status, created_at FROM users.users WHERE application_id = $1 AND id = $2
        """
    let applicationID: UUID
    let id: UUID

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(self.applicationID)
        bindings.append(self.id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Person {
        let (id, email, firstName, lastName, type, status, createdAt) = try row.decode(
            (UUID, String?, String?, String?, String, String, Date).self)
        return Person(id: id, email: email, firstName: firstName, lastName: lastName, type: type, status: status, createdAt: createdAt)
    }
}
