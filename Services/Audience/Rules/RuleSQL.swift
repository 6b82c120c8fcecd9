import RosterProtocol
import RosterRuntime

/// A compiled rule as a condition on the projection row `p`: every value a bind parameter,
/// every column from the field catalog, so no user input ever becomes SQL text.
///
/// Each criterion is a definite boolean (never NULL): a negative operator (`not_equals`,
/// `not_contains`, `not_in`, `not_exists`) holds exactly when its positive one does not, so a
/// user without a value matches `not_equals`. Attribute criteria are `EXISTS` on the
/// definition's partial index; tags and groups (static ones) match by id or by name.
extension CompiledRule {
    var condition: SQLFragment {
        var parts = [Self.combine(self.nodes.map(\.condition), self.logic)]
        if !self.include.isEmpty { parts.append(.any(self.include.map(\.rule.condition))) }
        parts += self.exclude.map { "NOT (" + $0.rule.condition + ")" }
        return .all(parts)
    }

    static func combine(_ conditions: [SQLFragment], _ logic: RuleLogic) -> SQLFragment {
        // An empty AND holds; an empty OR too (a group nobody filled in constrains nothing).
        guard !conditions.isEmpty else { return "TRUE" }
        return logic == .and ? .all(conditions) : .any(conditions)
    }
}

extension CompiledNode {
    var condition: SQLFragment {
        switch self {
        case .criterion(let criterion): criterion.condition
        case .group(_, let logic, let nodes): CompiledRule.combine(nodes.map(\.condition), logic)
        }
    }
}

extension CompiledCriterion {
    var condition: SQLFragment {
        guard let positive = self.op.base.positive else { return self.positiveCondition(self.op.base) }
        return "NOT " + self.positiveCondition(positive)
    }

    /// The condition of a positive operator, as a definite boolean.
    private func positiveCondition(_ base: RuleOperator.Base) -> SQLFragment {
        switch self.field.source {
        case .column(let expression):
            return "coalesce(" + self.predicate(base, on: SQLFragment(stringLiteral: expression)) + ", false)"
        case .attribute(let definition):
            let column = SQLFragment(stringLiteral: "v.\(definition.type.column ?? "value_text")")
            return """
                EXISTS (SELECT 1 FROM attribute_values v WHERE v.application_id = p.application_id AND v.user_id = p.user_id
                    AND v.definition_id = \(definition.id) AND \(self.predicate(base, on: column)))
                """
        case .tags:
            return """
                EXISTS (SELECT 1 FROM user_tags ut JOIN tags t ON t.application_id = ut.application_id AND t.id = ut.tag_id
                    WHERE ut.application_id = p.application_id AND ut.user_id = p.user_id AND \(self.named("t", base)))
                """
        case .groups:
            return """
                EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.application_id = gm.application_id AND g.id = gm.group_id
                    WHERE gm.application_id = p.application_id AND gm.user_id = p.user_id AND g.type = 'static' AND \(self.named("g", base)))
                """
        }
    }

    /// A tag or group (alias `alias`) named by one of the operands, by id or case-insensitive name.
    private func named(_ alias: String, _ base: RuleOperator.Base) -> SQLFragment {
        guard base != .exists else { return "TRUE" }
        let names = self.operands.compactMap(\.text)
        let ids = names.compactMap { EntityID($0) }
        return "(\(identifier: alias).id = ANY(\(ids)) OR lower(\(identifier: alias).name) = ANY(\(Self.lowered(names))))"
    }

    /// The texts lowered by PostgreSQL, as `lower(column)` is (Swift's lowercasing differs outside ASCII).
    private static func lowered(_ texts: [String]) -> SQLFragment {
        "ARRAY(SELECT lower(x) FROM unnest(\(texts)::text[]) AS x)"
    }

    /// The predicate of a positive operator on a value expression (NULL when the value is).
    private func predicate(_ base: RuleOperator.Base, on value: SQLFragment) -> SQLFragment {
        let folded = self.op.ignoresCase
        let subject: SQLFragment = folded ? "lower(" + value + ")" : value
        func operand(_ index: Int) -> SQLFragment {
            switch self.operands[index] {
            case .text(let text): folded ? "lower(\(text))" : "\(text)"
            case .number(let number): "\(number)"
            case .time(let date): "\(date)"
            case .bool(let flag): "\(flag)"
            }
        }
        switch (self.field.type, base) {
        case (_, .exists): return value + " IS NOT NULL"
        case (.list, .contains): return value + " @> ARRAY[\(self.operands[0].text ?? "")]::text[]"
        case (.list, .in): return value + " && \(self.operands.compactMap(\.text))::text[]"
        case (_, .equals): return subject + " = " + operand(0)
        case (_, .contains): return "strpos(" + subject + ", " + operand(0) + ") > 0"
        case (_, .startsWith): return "starts_with(" + subject + ", " + operand(0) + ")"
        case (_, .endsWith): return "right(" + subject + ", length(" + operand(0) + ")) = " + operand(0)
        case (_, .greaterThan): return value + " > " + operand(0)
        case (_, .lessThan): return value + " < " + operand(0)
        case (_, .greaterOrEqual): return value + " >= " + operand(0)
        case (_, .lessOrEqual): return value + " <= " + operand(0)
        case (_, .between): return value + " BETWEEN " + operand(0) + " AND " + operand(1)
        case (_, .regex): return value + (folded ? " ~* " : " ~ ") + "\(self.operands[0].text ?? "")"
        case (.number, .in): return value + " = ANY(\(self.operands.compactMap { if case .number(let n) = $0 { n } else { nil } })::float8[])"
        case (_, .in):
            let texts = self.operands.compactMap(\.text)
            return subject + " = ANY(" + (folded ? Self.lowered(texts) : "\(texts)::text[]") + ")"
        case (_, .notEquals), (_, .notContains), (_, .notIn), (_, .notExists):
            preconditionFailure("negative operators are compiled as NOT of their positive one")
        }
    }
}
