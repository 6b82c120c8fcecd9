import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// What testing a rule answers (seed 000's segment test): how many users it matches now, a
/// sample of them, and how long the evaluation took.
struct RuleTestResult: Encodable, Sendable {
    var userCount: Int
    var sampleUsers: [ProjectedUser]
    /// Milliseconds.
    var executionTime: Int
}

/// Evaluates compiled rules live against the projection: tests, previews and explanations.
/// Each runs in a read-only transaction with a statement time limit, so an expensive rule
/// (a slow regular expression) ends in a 503 instead of holding a connection.
struct RuleEvaluation: Sendable {
    let client: PostgresClient
    static let timeLimit = "30s"
    static let sampleSize = 10

    func test(_ rule: CompiledRule, applicationID: EntityID, logger: Logger) async throws -> RuleTestResult {
        let started = ContinuousClock.now
        return try await self.readOnly(logger: logger) { connection in
            let condition = rule.condition
            let scope: SQLFragment = "SELECT p.user_id FROM user_projection p WHERE p.application_id = \(applicationID) AND "
            // An OR is counted as a UNION of its alternatives, so each is planned on its own indexes.
            let matching =
                rule.alternatives.map { SQLFragment.joined($0.map { scope + $0 }, separator: " UNION ") } ?? scope + condition
            let count: SQLFragment = "SELECT count(*)::int FROM (\(matching)) matching"
            let total = try await connection.query(count.query(), logger: logger).decode(Int.self).first(where: { _ in true }) ?? 0
            let sample: SQLFragment = """
                SELECT \(UserProjectionRepository.columns) FROM user_projection p WHERE p.application_id = \(applicationID) AND \(condition)
                ORDER BY p.user_id LIMIT \(Self.sampleSize)
                """
            var users: [ProjectedUser] = []
            for try await row in try await connection.query(sample.query(), logger: logger) {
                users.append(try UserProjectionRepository.user(from: row))
            }
            let elapsed = (ContinuousClock.now - started) / .milliseconds(1)
            return RuleTestResult(userCount: total, sampleUsers: users, executionTime: Int(elapsed.rounded()))
        }
    }

    /// Why `userID` is or is not matched by `rule`: every criterion with its result and the
    /// value it was checked against; `nil` when the application has no such user.
    func explain(_ rule: CompiledRule, userID: EntityID, applicationID: EntityID, logger: Logger) async throws -> RuleExplanation? {
        let criteria = rule.allCriteria
        let segments = rule.include + rule.exclude
        var columns: [SQLFragment] = criteria.flatMap { [$0.condition, "(" + $0.actualValue + ")::text"] }
        columns += segments.map(\.rule.condition)
        let select: SQLFragment = """
            SELECT \(SQLFragment.joined(columns.isEmpty ? ["TRUE"] : columns, separator: ", "))
            FROM user_projection p WHERE p.application_id = \(applicationID) AND p.user_id = \(userID)
            """
        return try await self.readOnly(logger: logger) { connection in
            guard let row = try await connection.query(select.query(), logger: logger).collect().first else { return nil }
            let cells = row.makeRandomAccess()
            var results: [String: (Bool, JSONValue)] = [:]
            for (index, criterion) in criteria.enumerated() {
                let matched = try cells[index * 2].decode(Bool.self)
                let actual = try cells[index * 2 + 1].decode(String?.self)
                    .flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } ?? .null
                results[criterion.path] = (matched, actual)
            }
            var segmentResults: [Bool] = []
            for index in segments.indices { segmentResults.append(try cells[criteria.count * 2 + index].decode(Bool.self)) }
            return RuleExplanation(rule, results: results, segmentResults: segmentResults, userID: userID)
        }
    }

    private func readOnly<T: Sendable>(logger: Logger, _ work: (PostgresConnection) async throws -> T) async throws -> T {
        try await self.client.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION READ ONLY", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = '\(Self.timeLimit)'"), logger: logger)
            return try await work(connection)
        }
    }
}

extension CompiledRule {
    /// The rule's alternatives when it is an OR at its top (or its only group is), with no
    /// segments named; `nil` otherwise.
    var alternatives: [SQLFragment]? {
        guard self.include.isEmpty, self.exclude.isEmpty else { return nil }
        var (logic, nodes) = (self.logic, self.nodes)
        if nodes.count == 1, case .group(_, let innerLogic, let innerNodes) = nodes[0] { (logic, nodes) = (innerLogic, innerNodes) }
        guard logic == .or, nodes.count > 1 else { return nil }
        return nodes.map(\.condition)
    }

    /// Every criterion, depth first (segments' own criteria excluded).
    var allCriteria: [CompiledCriterion] {
        func walk(_ nodes: [CompiledNode]) -> [CompiledCriterion] {
            nodes.flatMap { node -> [CompiledCriterion] in
                switch node {
                case .criterion(let criterion): [criterion]
                case .group(_, _, let nodes): walk(nodes)
                }
            }
        }
        return walk(self.nodes)
    }
}

extension CompiledCriterion {
    /// The user's value of the field as JSON text: a column, an attribute's stored value, or
    /// the names of the user's tags or static groups.
    var actualValue: SQLFragment {
        switch self.field.source {
        case .column(let expression):
            return "to_jsonb(" + SQLFragment(stringLiteral: expression) + ")"
        case .attribute(let definition):
            return """
                (SELECT v.value FROM attribute_values v WHERE v.application_id = p.application_id AND v.user_id = p.user_id
                    AND v.definition_id = \(definition.id))
                """
        case .tags:
            return """
                (SELECT coalesce(jsonb_agg(t.name ORDER BY t.name), '[]') FROM user_tags ut
                    JOIN tags t ON t.application_id = ut.application_id AND t.id = ut.tag_id
                    WHERE ut.application_id = p.application_id AND ut.user_id = p.user_id)
                """
        case .groups:
            return """
                (SELECT coalesce(jsonb_agg(g.name ORDER BY g.name), '[]') FROM group_members gm
                    JOIN groups g ON g.application_id = gm.application_id AND g.id = gm.group_id
                    WHERE gm.application_id = p.application_id AND gm.user_id = p.user_id AND g.type = 'static')
                """
        }
    }
}
