import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Recomputes the members of a dynamic group or a segment from its rule, for all users, in
/// one transaction (after the rule is saved, and on `POST /groups/{id}/recalculate` or
/// `/segments/{id}/recalculate`). Between recalculations members follow user changes one by one.
struct RuleRecalculationJob: JobHandler {
    static let kind = "audience.rule_recalculation"
    var kind: String { Self.kind }
    let client: PostgresClient
    let members: RuleMembers

    /// Queues one recalculation per owner, in the caller's transaction.
    @discardableResult
    static func enqueue(_ owners: [RuleOwner], applicationID: EntityID, jobs: JobQueue, on connection: PostgresConnection, logger: Logger)
        async throws -> [Job]
    {
        var queued: [Job] = []
        for owner in owners {
            queued.append(
                try await jobs.enqueue(
                    kind: Self.kind, applicationID: applicationID,
                    payload: ["ownerType": .string(owner.kind.rawValue), "ownerId": .string(owner.id.description)], on: connection,
                    logger: logger))
        }
        return queued
    }

    func run(_ job: Job, context: JobContext) async throws -> JSONValue? {
        guard let (id, applicationID) = job.target("ownerId"), let kind = job.payload.objectField("ownerType")?.stringValue.flatMap(RuleOwner.Kind.init)
        else { return ["skipped": "malformed payload"] }
        let logger = context.logger
        return try await self.client.withTransaction(logger: logger) { connection -> JSONValue in
            let table = kind.table
            let select: SQLFragment = """
                SELECT rule::text FROM \(identifier: table.ownerTable) WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE
                """
            guard let text = try await connection.query(select.query(), logger: logger).decode(String?.self).first(where: { _ in true }),
                let text
            else { return ["skipped": .string("the \(kind.rawValue) was deleted or is no longer dynamic")] }
            let owner = RuleOwner(kind: kind, id: id, rule: try RuleMembers.decodeRule(text))
            let catalog = try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: logger)
            let compiled: CompiledRule
            do throws(RuleProblems) {
                compiled = try RuleCompiler(catalog: catalog, now: Date()).compile(owner.rule, owner: kind == .segment ? id : nil)
            } catch {
                return ["skipped": "the rule no longer compiles", "errors": .array(error.errors.map { .string("\($0.field) \($0.message)") })]
            }
            let (added, removed) = try await self.members.refresh(
                owner, condition: compiled.condition, users: nil, applicationID: applicationID, on: connection, logger: logger)
            let count = kind == .group ? "member_count" : "user_count"
            let stamp: SQLFragment = """
                UPDATE \(identifier: table.ownerTable) SET last_calculated = now_ms()
                WHERE application_id = \(applicationID) AND id = \(id) RETURNING \(identifier: count)
                """
            let members = try await connection.query(stamp.query(), logger: logger).decode(Int64.self).first(where: { _ in true }) ?? 0
            return ["added": .integer(Int64(added)), "removed": .integer(Int64(removed)), "memberCount": .integer(members)]
        }
    }
}
