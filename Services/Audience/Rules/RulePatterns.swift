import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Regular expressions of `regex` criteria are PostgreSQL's (POSIX ARE), so PostgreSQL
/// checks them when a rule is saved: a pattern it cannot compile is a 422 naming its path.
enum RulePatterns {
    static func check(_ rule: Rule, path: String = "", on connection: PostgresConnection, logger: Logger) async throws {
        for (path, pattern) in Self.patterns(in: rule.criteria, path: path.isEmpty ? "criteria" : path + ".criteria") {
            do {
                try await connection.query("SELECT '' ~ \(pattern)", logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "2201B" {
                let reason = error.serverInfo?[.message] ?? "invalid regular expression"
                throw Problem.validation(
                    "The rule is not valid: \(path) is not a regular expression PostgreSQL accepts.",
                    errors: [.init(field: path, code: "invalid_regex", message: reason)])
            }
        }
    }

    /// `(path of the value, pattern)` of every regex criterion.
    private static func patterns(in nodes: [RuleNode], path: String) -> [(String, String)] {
        nodes.enumerated().flatMap { index, node -> [(String, String)] in
            switch node {
            case .group(_, let criteria): return Self.patterns(in: criteria, path: "\(path)[\(index)].criteria")
            case .criterion(let criterion):
                guard RuleOperator(criterion.operator)?.base == .regex, let pattern = criterion.value?.stringValue else { return [] }
                return [("\(path)[\(index)].value", pattern)]
            }
        }
    }
}
