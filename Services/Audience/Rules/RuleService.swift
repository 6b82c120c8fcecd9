import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// What the group and segment controllers do with rules: compile them against the
/// application's current catalog, evaluate and explain them, queue recalculations.
struct RuleService: Sendable {
    let client: PostgresClient
    let jobs: JobQueue
    let members: RuleMembers
    var evaluation: RuleEvaluation { RuleEvaluation(client: self.client) }

    /// A rule from a request, checked (422 naming each problem).
    func compileNew(_ rule: Rule, applicationID: EntityID, logger: Logger) async throws -> CompiledRule {
        try await self.client.withConnection { connection in
            try await Self.validate(rule, owner: nil, applicationID: applicationID, on: connection, logger: logger)
        }
    }

    /// Checks a rule about to be saved against the catalog read on `connection` (in the
    /// saving transaction, so what it names cannot vanish meanwhile): 422 naming each problem.
    /// `owner` is the segment it belongs to, which it may not include; `path` where the rule
    /// sits in the body (`rules` in a group's).
    @discardableResult
    static func validate(
        _ rule: Rule, owner: EntityID?, path: String = "", applicationID: EntityID, on connection: PostgresConnection, logger: Logger
    ) async throws -> CompiledRule {
        try await RulePatterns.check(rule, path: path, on: connection, logger: logger)
        // What the rule names cannot be deleted (or made unsearchable) until this transaction ends.
        let slugs = rule.fieldNames.filter { $0.hasPrefix("attributes.") }.map { String($0.dropFirst("attributes.".count)) }
        let lock: SQLFragment = """
            SELECT 1 FROM attribute_definitions WHERE application_id = \(applicationID) AND slug = ANY(\(slugs)) FOR SHARE
            """
        let lockSegments: SQLFragment = """
            SELECT 1 FROM segments WHERE application_id = \(applicationID) AND id = ANY(\(rule.segmentReferences)) FOR KEY SHARE
            """
        if !slugs.isEmpty { try await connection.query(lock.query(), logger: logger) }
        if !rule.segmentReferences.isEmpty { try await connection.query(lockSegments.query(), logger: logger) }
        let catalog = try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: logger)
        do {
            return try RuleCompiler(catalog: catalog, now: Date()).compile(rule, owner: owner, path: path)
        } catch {
            throw error.problem
        }
    }

    /// A saved rule; 409 when it no longer compiles (an attribute it tests was deleted or made
    /// unsearchable since), naming what broke.
    func compileStored(_ rule: Rule, owner: EntityID?, applicationID: EntityID, logger: Logger) async throws -> CompiledRule {
        let catalog = try await self.client.withConnection { connection in
            try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: logger)
        }
        do {
            return try RuleCompiler(catalog: catalog, now: Date()).compile(rule, owner: owner)
        } catch {
            var problem = Problem.conflict(
                "The saved rule no longer compiles against the application's attributes and segments; update it.", code: "rule_outdated")
            problem.errors = error.errors
            throw problem
        }
    }

    /// Queues the recalculation of one owner's members.
    func recalculate(_ owner: RuleOwner, applicationID: EntityID, logger: Logger) async throws -> Job {
        try await self.client.withTransaction(logger: logger) { connection in
            try await RuleRecalculationJob.enqueue([owner], applicationID: applicationID, jobs: self.jobs, on: connection, logger: logger)[0]
        }
    }

    /// Queues the recalculation of every rule testing `field` (`tags`, `groups`): after a tag or
    /// group was renamed, merged or deleted, which changes what those rules match for many users.
    func recalculateRules(testing field: String, applicationID: EntityID, logger: Logger) async throws {
        try await self.client.withTransaction(logger: logger) { connection in
            let owners = try await RuleMembers.owners(applicationID: applicationID, on: connection, logger: logger)
            guard !owners.isEmpty else { return }
            let catalog = try await RuleMembers.catalog(applicationID: applicationID, on: connection, logger: logger)
            let affected = owners.filter { catalog.tests($0.rule, field: field) }
            try await RuleRecalculationJob.enqueue(affected, applicationID: applicationID, jobs: self.jobs, on: connection, logger: logger)
        }
    }

    /// The explanation for the user named by `?userId=`.
    func explain(_ rule: Rule, owner: EntityID?, request: Request, applicationID: EntityID, logger: Logger) async throws -> RuleExplanation {
        guard let text = request.uri.queryParameters.get("userId") else {
            throw Problem.badRequest("Query parameter userId is required: the user to explain the rule for.", code: "invalid_query")
        }
        guard let userID = EntityID(text) else { throw Problem.notFound("No user \(text.prefix(100)) in this application's audience.") }
        let compiled = try await self.compileStored(rule, owner: owner, applicationID: applicationID, logger: logger)
        guard let explanation = try await self.evaluation.explain(compiled, userID: userID, applicationID: applicationID, logger: logger) else {
            throw UserProjectionRepository.unknownUser(userID)
        }
        return explanation
    }
}
