import Crypto
import Foundation
import Hummingbird
import RosterProtocol
import RosterRuntime

/// `POST /api/v1/users/import` (seed 000): a CSV file of users — `multipart/form-data` with a
/// `file` part and an optional `mapping` (JSON), or a plain `text/csv` body — staged in one
/// transaction and imported by a job (202); `GET /users/imports/{id}` follows it and
/// `GET /users/imports/{id}/errors` lists every row not imported, with its line and reason;
/// `POST /users/imports/{id}/redrive` puts a failed one back in the queue.
///
/// The policy: a file that is not CSV (bad quoting, not UTF-8, a 0-byte or binary file) or
/// whose header cannot be used is refused whole and nothing is staged; otherwise every good
/// row is imported and every bad one (invalid value, wrong column count, an email, phone or
/// username repeated in the file or already taken) is reported and skipped.
struct ImportController: Sendable {
    let imports: UserImportRepository
    let jobs: JobQueue

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.post("import", use: self.create)
        group.get("imports/:id", use: self.get)
        group.get("imports/:id/errors", use: self.errors)
        group.post("imports/:id/redrive", use: self.redrive)
    }

    /// An import as the API shows it: the job's state and the row counts so far.
    struct UserImport: Encodable, Sendable {
        var id: EntityID
        var status: Job.Status
        var fileName: String?
        /// The user field each column fills, in column order (`null`: skipped).
        var columns: [String?]
        var total: Int
        var imported: Int
        var failed: Int
        /// Rows not applied yet.
        var pending: Int
        var attempts: Int
        var lastError: String?
        var createdAt: Date
        var finishedAt: Date?

        init(job: Job, state: UserImportRepository.State) {
            self.id = job.id
            self.status = job.status
            self.fileName = state.fileName
            self.columns = state.fields.map { $0.isEmpty ? nil : $0 }
            self.total = state.total
            self.imported = state.imported
            self.failed = state.failed
            self.pending = max(0, state.total - state.imported - state.failed)
            self.attempts = job.attempts
            self.lastError = job.lastError
            self.createdAt = state.createdAt
            self.finishedAt = job.finishedAt
        }
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let key = try IdempotencyKey.read(request)
        let id: EntityID
        if MultipartUpload.isMultipart(request) {
            id = try await MultipartUpload.receive(request, context: context) { upload in
                let mapping = upload.fields["mapping"]
                return try await self.imports.create(
                    upload.file, fileName: upload.fileName, mapping: try ImportColumns.mapping(mapping),
                    fingerprint: Self.fingerprint(upload.file, mapping: mapping), applicationID: principal.applicationID,
                    idempotencyKey: key, logger: context.logger)
            }
        } else if CSVUpload.isCSV(request) {
            id = try await CSVUpload.receive(request, context: context) { upload in
                try await self.imports.create(
                    upload, fileName: nil, mapping: nil, fingerprint: Self.fingerprint(upload, mapping: nil),
                    applicationID: principal.applicationID, idempotencyKey: key, logger: context.logger)
            }
        } else {
            throw Problem(
                status: 415, code: "unsupported_media_type", title: "Unsupported media type",
                detail: "Send the file as multipart/form-data (a file part, and optionally a mapping) or as text/csv.")
        }
        let found = try await self.find(id, applicationID: principal.applicationID, context: context)
        return try JSONResponses.json(found, status: .accepted, headers: [.location: "/api/v1/users/imports/\(id)"])
    }

    /// What makes two uploads the same import: the file's bytes and the mapping's text.
    static func fingerprint(_ file: CSVUpload, mapping: String?) -> String {
        Hex.encode(SHA256.hash(data: Data((file.digest + "\n" + (mapping ?? "")).utf8)))
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("import")
        return try JSONResponses.json(try await self.find(id, applicationID: principal.applicationID, context: context))
    }

    static let errorSpec = ListQuerySpec(sortFields: [:], defaultSort: [], defaultLimit: 100, idColumn: "line")

    @Sendable func errors(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("import")
        let query = try ListQueryParser.parse(request, spec: Self.errorSpec)
        guard query.cursor == nil else { throw Problem.badRequest("This list pages with page and limit.", code: "invalid_query") }
        _ = try await self.find(id, applicationID: principal.applicationID, context: context)
        return try ListResponder.respond(try await self.imports.errors(id, query: query, logger: context.logger), query: query, request: request)
    }

    /// Puts a failed import back in the queue; it goes on where it stopped (`409` unless failed).
    @Sendable func redrive(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("import")
        let found = try await self.find(id, applicationID: principal.applicationID, context: context)
        guard found.status == .failed, try await self.jobs.redrive(id, applicationID: principal.applicationID, logger: context.logger) != nil
        else { throw Problem.conflict("Only a failed import can be re-driven.", code: "import_not_failed") }
        let queued = try await self.find(id, applicationID: principal.applicationID, context: context)
        return try JSONResponses.json(queued, status: .accepted, headers: [.location: "/api/v1/users/imports/\(id)"])
    }

    private func find(_ id: EntityID, applicationID: EntityID, context: RosterRequestContext) async throws -> UserImport {
        guard let job = try await self.jobs.job(id, applicationID: applicationID, logger: context.logger),
            let state = try await self.imports.state(id, applicationID: applicationID, logger: context.logger)
        else { throw Problem.notFound("No import \(id) in this application.") }
        return UserImport(job: job, state: state)
    }
}
