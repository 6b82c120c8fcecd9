import Foundation
import Hummingbird
import NIOCore
import RosterProtocol
import RosterRuntime

/// `/api/v1/segments` (seed 000): saved rules with materialized members; test, preview of an
/// unsaved rule, clone, recalculation, members, CSV export, and why a user is (not) in one.
struct SegmentController: ResourceController {
    let segments: SegmentRepository
    let rules: RuleService

    func register(on group: RouterGroup<RosterRequestContext>) {
        self.registerResource(on: group)
        group.post("preview", use: self.preview)
        group.post(":id/test", use: self.test)
        group.post(":id/clone", use: self.clone)
        group.post(":id/recalculate", use: self.recalculate)
        group.get(":id/users", use: self.members)
        group.get(":id/export", use: self.export)
        group.get(":id/explain", use: self.explain)
    }

    @Sendable func list(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let query = try ListQueryParser.parse(request, spec: SegmentRepository.listSpec)
        let page = try await self.segments.list(query, applicationID: principal.applicationID, logger: context.logger)
        return try ListResponder.respond(page, query: query, request: request)
    }

    @Sendable func create(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let input = try SegmentInput(try await request.decodeJSON(as: JSONValue.self, context: context))
        var segment = Segment(
            id: .generate(), name: "", description: nil, rule: Rule(logic: .and, criteria: [], includeSegments: [], excludeSegments: []),
            isActive: true, userCount: 0, lastCalculated: nil, version: 1, createdAt: Date(), updatedAt: Date())
        try input.apply(to: &segment, creating: true)
        let created = try await self.segments.create(segment, applicationID: principal.applicationID, logger: context.logger)
        return try EntityTag.json(created, version: created.version, status: .created, location: "/api/v1/segments/\(created.id)")
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        return try EntityTag.json(segment, version: segment.version)
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("segment")
        let input = try SegmentInput(try await request.decodeJSON(as: JSONValue.self, context: context))
        let required = try EntityTag.requiredVersion(request)
        guard
            let segment = try await self.segments.update(
                id, applicationID: principal.applicationID, requiredVersion: required, logger: context.logger,
                change: { try input.apply(to: &$0, creating: false) })
        else { throw Self.notFound(id.description) }
        return try EntityTag.json(segment, version: segment.version)
    }

    @Sendable func delete(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.requireID("segment")
        guard try await self.segments.delete(id, applicationID: principal.applicationID, logger: context.logger) else {
            throw Self.notFound(id.description)
        }
        return JSONResponses.noContent()
    }

    /// The saved rule evaluated now: count, a sample, the time it took.
    @Sendable func test(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        let compiled = try await self.rules.compileStored(segment.rule, owner: segment.id, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(try await self.rules.evaluation.test(compiled, applicationID: principal.applicationID, logger: context.logger))
    }

    /// `POST /segments/preview` with a rule (`criteria`, `logic`, ...): the test's answer, nothing saved.
    @Sendable func preview(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let body = try await request.decodeJSON(as: JSONValue.self, context: context)
        let rule: Rule
        do { rule = try Rule.parse(body, path: "") } catch { throw error.problem }
        let compiled = try await self.rules.compileNew(rule, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(try await self.rules.evaluation.test(compiled, applicationID: principal.applicationID, logger: context.logger))
    }

    /// A copy with the same rule, named `<name> (copy)` unless the body names it.
    @Sendable func clone(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let source = try await self.segment(context, applicationID: principal.applicationID)
        var copy = source
        copy.id = .generate()
        copy.name = String((source.name + " (copy)").prefix(200))
        if request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.contentType] != nil {
            let input = try SegmentInput(try await request.decodeJSON(as: JSONValue.self, context: context))
            try input.apply(to: &copy, creating: false)
        }
        let created = try await self.segments.create(copy, applicationID: principal.applicationID, logger: context.logger)
        return try EntityTag.json(created, version: created.version, status: .created, location: "/api/v1/segments/\(created.id)")
    }

    /// 202 with the job that recomputes the members from the rule.
    @Sendable func recalculate(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        let job = try await self.rules.recalculate(
            RuleOwner(kind: .segment, id: segment.id, rule: segment.rule), applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(job, status: .accepted, headers: [.location: "/api/v1/audience/jobs/\(job.id)"])
    }

    @Sendable func members(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let paging = try MemberPage.Request(request)
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        let page = try await MemberPage.load(
            .segments, owner: segment.id, total: segment.userCount, applicationID: principal.applicationID, request: paging,
            client: self.segments.client, logger: context.logger)
        return try JSONResponses.json(page)
    }

    /// The members as CSV, streamed in id order a thousand at a time (memory flat in their number).
    @Sendable func export(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        let members = MemberExport(table: .segments, owner: segment.id, applicationID: principal.applicationID, client: self.segments.client)
        let logger = context.logger
        return AttachmentResponse.stream(filename: "segment-\(segment.id).csv", contentType: "text/csv; charset=utf-8") { writer in
            try await members.write(to: &writer, logger: logger)
        }
    }

    /// `?userId=`: the rule tree with each criterion's result for that user.
    @Sendable func explain(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        let segment = try await self.segment(context, applicationID: principal.applicationID)
        let explanation = try await self.rules.explain(
            segment.rule, owner: segment.id, request: request, applicationID: principal.applicationID, logger: context.logger)
        return try JSONResponses.json(explanation)
    }

    private func segment(_ context: RosterRequestContext, applicationID: EntityID) async throws -> Segment {
        let id = try context.requireID("segment")
        guard let segment = try await self.segments.find(id, applicationID: applicationID, logger: context.logger) else {
            throw Self.notFound(id.description)
        }
        return segment
    }

    static func notFound(_ reference: String) -> Problem {
        .notFound("No segment \(reference) in this application.")
    }
}
