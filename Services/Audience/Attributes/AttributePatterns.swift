import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// The `regex` rule of string attributes, run by PostgreSQL instead of in the service.
///
/// Swift's `Regex` backtracks: on a pattern such as `^(a+)+$` a value of a few dozen
/// characters takes exponential time. That work cannot be cancelled, so one tenant's pattern
/// would hold a thread of the shared service for good. PostgreSQL's engine (POSIX ARE, the
/// dialect of `regex` rule criteria too) does not blow up on such patterns. Each check also
/// runs under a statement timeout, so a pattern it is slow on (back-references) costs at most
/// that long and is answered with a 422.
enum AttributePatterns {
    /// Longest one check (a whole batch of values) may take.
    static let timeout = "5s"

    /// 422 when PostgreSQL cannot compile the definition's pattern, or its default value breaks it.
    static func check(_ definition: AttributeDefinition, on connection: PostgresConnection, logger: Logger) async throws {
        guard let pattern = definition.rules.regex else { return }
        do {
            try await connection.query("SELECT '' ~ \(pattern)", logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "2201B" {
            throw Problem.validation(
                "The regex rule is not a regular expression PostgreSQL accepts.",
                errors: [.init(field: "validations", code: "invalid_regex", message: error.serverInfo?[.message] ?? "invalid regular expression")])
        }
        guard let value = definition.defaultValue else { return }
        let texts: [String] =
            switch value {
            case .string(let text): [text]
            case .array(let items): items.compactMap(\.stringValue)
            default: []
            }
        let broken = try await self.failing(texts.map { (key: 0, text: $0, pattern: pattern) }, on: connection, logger: logger)
        if !broken.isEmpty {
            throw Problem.validation(
                "The default value does not match the regex rule.",
                errors: [.init(field: "defaultValue", code: "regex", message: "must match \(pattern)")])
        }
    }

    /// The rule each write breaks, by its index in `writes`: a string, or any item of a list,
    /// that does not match its definition's pattern.
    static func broken(
        _ writes: [AttributeValueRepository.Write], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: Problem.FieldError] {
        var checks: [(key: Int, text: String, pattern: String)] = []
        for (index, write) in writes.enumerated() {
            guard let pattern = write.definition.rules.regex else { continue }
            for text in write.value.list ?? write.value.text.map({ [$0] }) ?? [] { checks.append((index, text, pattern)) }
        }
        let failing = try await self.failing(checks, on: connection, logger: logger)
        return Dictionary(
            uniqueKeysWithValues: failing.map { index in
                let definition = writes[index].definition
                return (
                    index,
                    Problem.FieldError(
                        field: "attributes.\(definition.slug)", code: "regex", message: "\(definition.slug): must match \(definition.rules.regex ?? "")")
                )
            })
    }

    /// The keys of the checks whose text does not match its pattern: one statement under the
    /// timeout, which is put back afterwards. `connection` must be inside a transaction (the
    /// timeout is set for the transaction only), possibly a longer one.
    private static func failing(
        _ checks: [(key: Int, text: String, pattern: String)], on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        guard !checks.isEmpty else { return [] }
        let previous = try await connection.query("SELECT current_setting('statement_timeout')", logger: logger)
            .decode(String.self).first(where: { _ in true }) ?? "0"
        try await connection.query("SELECT set_config('statement_timeout', \(Self.timeout), true)", logger: logger)
        let select: SQLFragment = """
            SELECT DISTINCT c.key FROM unnest(\(checks.map { Int64($0.key) })::int8[], \(checks.map(\.text))::text[],
                \(checks.map(\.pattern))::text[]) AS c(key, text, pattern)
            WHERE NOT c.text ~ c.pattern
            """
        do {
            let keys = try await connection.query(select.query(), logger: logger).decode(Int64.self).array()
            try await connection.query("SELECT set_config('statement_timeout', \(previous), true)", logger: logger)
            return Set(keys.map { Int($0) })
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            throw Problem(
                status: 422, code: "regex_too_slow", title: "Validation failed",
                detail: "Checking values against a regex rule took longer than \(Self.timeout); an administrator should simplify the pattern.")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "2201B" {
            throw Problem(
                status: 422, code: "invalid_regex", title: "Validation failed",
                detail: "A regex rule is not a regular expression PostgreSQL accepts; an administrator should change it.")
        }
    }
}
