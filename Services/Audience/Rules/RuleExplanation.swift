import RosterProtocol

/// Why a user is or is not matched by a rule: the rule tree with each criterion's result and
/// the user's value it was checked against, each group's result by its logic, and each
/// included or excluded segment's result.
struct RuleExplanation: Encodable, Sendable {
    /// A criterion (field, operator, value, actual) or a group (logic, criteria).
    struct Node: Encodable, Sendable {
        var path: String
        var matched: Bool
        var field: String?
        var `operator`: String?
        var value: JSONValue?
        /// The user's value (`null` when there is none).
        var actual: JSONValue?
        var logic: RuleLogic?
        var criteria: [Node]?
    }

    struct SegmentResult: Encodable, Sendable {
        var id: EntityID
        var name: String
        var matched: Bool
    }

    var userId: EntityID
    var matches: Bool
    var logic: RuleLogic
    /// Whether the criteria alone hold.
    var criteriaMatched: Bool
    var criteria: [Node]
    var includeSegments: [SegmentResult]
    var excludeSegments: [SegmentResult]

    /// Assembles the explanation from each criterion's result (by path) and each segment's (include, then exclude).
    init(_ rule: CompiledRule, results: [String: (Bool, JSONValue)], segmentResults: [Bool], userID: EntityID) {
        func node(_ compiled: CompiledNode) -> Node {
            switch compiled {
            case .criterion(let criterion):
                let (matched, actual) = results[criterion.path] ?? (false, .null)
                return Node(
                    path: criterion.path, matched: matched, field: criterion.source.field, operator: criterion.source.operator,
                    value: criterion.source.value, actual: actual)
            case .group(let path, let logic, let nodes):
                let children = nodes.map(node)
                return Node(path: path, matched: Self.combine(children.map(\.matched), logic), logic: logic, criteria: children)
            }
        }
        self.userId = userID
        self.logic = rule.logic
        self.criteria = rule.nodes.map(node)
        self.criteriaMatched = Self.combine(self.criteria.map(\.matched), rule.logic)
        let included = Array(segmentResults.prefix(rule.include.count))
        let excluded = Array(segmentResults.dropFirst(rule.include.count))
        self.includeSegments = zip(rule.include, included).map { SegmentResult(id: $0.id, name: $0.name, matched: $1) }
        self.excludeSegments = zip(rule.exclude, excluded).map { SegmentResult(id: $0.id, name: $0.name, matched: $1) }
        self.matches = self.criteriaMatched && (included.isEmpty || included.contains(true)) && !excluded.contains(true)
    }

    /// The SQL's rule: an empty list holds.
    private static func combine(_ results: [Bool], _ logic: RuleLogic) -> Bool {
        guard !results.isEmpty else { return true }
        return logic == .and ? results.allSatisfy { $0 } : results.contains(true)
    }
}
