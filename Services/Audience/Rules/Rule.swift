import Foundation
import RosterProtocol

/// The rule of a dynamic group or a segment (seed 000, DESIGN §5): criteria combined with
/// `logic`, groups of criteria nested inside, and segments whose members are added
/// (`includeSegments`, any of them) or taken away (`excludeSegments`).
///
/// A user matches when the criteria hold (an empty list holds for everyone), they are in one
/// of the included segments (when some are named), and in none of the excluded ones.
struct Rule: Codable, Sendable, Equatable {
    var logic: RuleLogic
    var criteria: [RuleNode]
    var includeSegments: [EntityID]
    var excludeSegments: [EntityID]

    static let maximumDepth = 5
    static let maximumCriteria = 100
    static let maximumSegments = 20
    /// Criteria in all once the named segments' rules are compiled in: what one SQL condition may hold.
    static let maximumExpandedCriteria = 500

    /// The JSON fields a rule is made of (at the top level of a segment, inside a group's `rules`).
    static let fieldNames = ["criteria", "logic", "includeSegments", "excludeSegments"]

    /// The fields its criteria test.
    var fieldNames: Set<String> {
        func walk(_ nodes: [RuleNode]) -> [String] {
            nodes.flatMap { node -> [String] in
                switch node {
                case .criterion(let criterion): [criterion.field]
                case .group(_, let criteria): walk(criteria)
                }
            }
        }
        return Set(walk(self.criteria))
    }

    /// Whether a criterion of its own compares a time field (`isTime`) with a time ago.
    func namesRelativeTime(isTime: (String) -> Bool) -> Bool {
        func walk(_ nodes: [RuleNode]) -> Bool {
            nodes.contains { node in
                switch node {
                case .group(_, let criteria): return walk(criteria)
                case .criterion(let criterion):
                    let values = criterion.value.map { $0.arrayValue ?? [$0] } ?? []
                    return isTime(criterion.field) && values.contains { $0.stringValue.flatMap(RuleCompiler.relativeSeconds) != nil }
                }
            }
        }
        return walk(self.criteria)
    }

    /// The segments the rule names.
    var segmentReferences: [EntityID] { self.includeSegments + self.excludeSegments }

    /// The rule as stored (`jsonb`).
    func jsonText() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    /// The rule's JSON fields with those `changes` names replaced (a partial update).
    func fields(replacedBy changes: [String: JSONValue]) throws -> [String: JSONValue] {
        guard case .object(var fields) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self)) else { return [:] }
        for key in Self.fieldNames { if let value = changes[key] { fields[key] = value } }
        return fields
    }

    /// Reads a rule from a request body's JSON, naming every problem by its path (`criteria[1].operator`).
    static func parse(_ json: JSONValue, path: String) throws(RuleProblems) -> Rule {
        var problems = RuleProblems()
        guard case .object(let object) = json else {
            problems.add(path.isEmpty ? "rule" : path, "invalid_rule", "must be an object with criteria and logic")
            throw problems
        }
        let prefix = path.isEmpty ? "" : path + "."
        let logic = RuleLogic.parse(object["logic"], path: prefix + "logic", problems: &problems)
        var count = 0
        let criteria = RuleNode.parseList(object["criteria"], path: prefix + "criteria", depth: 1, count: &count, problems: &problems)
        if count > Self.maximumCriteria {
            problems.add(prefix + "criteria", "too_many_criteria", "a rule may hold at most \(Self.maximumCriteria) criteria")
        }
        let include = Self.segmentIDs(object["includeSegments"], path: prefix + "includeSegments", problems: &problems)
        let exclude = Self.segmentIDs(object["excludeSegments"], path: prefix + "excludeSegments", problems: &problems)
        if !problems.isEmpty { throw problems }
        return Rule(logic: logic, criteria: criteria, includeSegments: include, excludeSegments: exclude)
    }

    private static func segmentIDs(_ json: JSONValue?, path: String, problems: inout RuleProblems) -> [EntityID] {
        guard let json else { return [] }
        guard let items = json.arrayValue, items.count <= Self.maximumSegments else {
            problems.add(path, "invalid_segments", "must be a list of at most \(Self.maximumSegments) segment ids")
            return []
        }
        var ids: [EntityID] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue, let id = EntityID(text) else {
                problems.add("\(path)[\(index)]", "invalid_id", "must be a segment id")
                continue
            }
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }
}

/// How the criteria of one level combine.
enum RuleLogic: String, Codable, Sendable {
    case and = "AND", or = "OR"

    /// `AND` when absent; `and`/`or` in any case (`null` is refused, like every other non-text).
    static func parse(_ json: JSONValue?, path: String, problems: inout RuleProblems) -> RuleLogic {
        guard let json else { return .and }
        guard let text = json.stringValue, let logic = RuleLogic(rawValue: text.uppercased()) else {
            problems.add(path, "invalid_logic", "must be AND or OR")
            return .and
        }
        return logic
    }
}

/// One entry of a criteria list: a criterion, or a nested group with its own logic.
indirect enum RuleNode: Codable, Sendable, Equatable {
    case criterion(RuleCriterion)
    case group(logic: RuleLogic, criteria: [RuleNode])

    private enum CodingKeys: String, CodingKey { case logic, criteria }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.criteria) {
            self = .group(
                logic: try container.decode(RuleLogic.self, forKey: .logic), criteria: try container.decode([RuleNode].self, forKey: .criteria))
        } else {
            self = .criterion(try RuleCriterion(from: decoder))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .criterion(let criterion): try criterion.encode(to: encoder)
        case .group(let logic, let criteria):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(logic, forKey: .logic)
            try container.encode(criteria, forKey: .criteria)
        }
    }

    static func parseList(_ json: JSONValue?, path: String, depth: Int, count: inout Int, problems: inout RuleProblems) -> [RuleNode] {
        guard let json else { return [] }
        guard let items = json.arrayValue else {
            problems.add(path, "invalid_criteria", "must be a list of criteria")
            return []
        }
        var nodes: [RuleNode] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard case .object(let object) = item else {
                problems.add(itemPath, "invalid_criterion", "must be an object: {field, operator, value} or {logic, criteria}")
                continue
            }
            if object["criteria"] != nil {
                if let extra = Set(object.keys).subtracting(["logic", "criteria"]).sorted().first {
                    problems.add("\(itemPath).\(extra)", "unknown_property", "is not part of a group of criteria, which takes logic and criteria")
                    continue
                }
                guard depth < Rule.maximumDepth else {
                    problems.add(itemPath, "too_deep", "groups of criteria nest at most \(Rule.maximumDepth) deep")
                    continue
                }
                let logic = RuleLogic.parse(object["logic"], path: itemPath + ".logic", problems: &problems)
                let inner = Self.parseList(object["criteria"], path: itemPath + ".criteria", depth: depth + 1, count: &count, problems: &problems)
                nodes.append(.group(logic: logic, criteria: inner))
            } else if let criterion = RuleCriterion.parse(object, path: itemPath, problems: &problems) {
                count += 1
                nodes.append(.criterion(criterion))
            }
        }
        return nodes
    }
}

/// `{field, operator, value}`: the operator's meaning depends on the field's type.
struct RuleCriterion: Codable, Sendable, Equatable {
    var field: String
    var `operator`: String
    var value: JSONValue?

    static func parse(_ object: [String: JSONValue], path: String, problems: inout RuleProblems) -> RuleCriterion? {
        let field = object["field"]?.stringValue
        let op = object["operator"]?.stringValue
        if field == nil { problems.add(path + ".field", "required", "must name a field, such as status or attributes.plan") }
        if op == nil { problems.add(path + ".operator", "required", "must name an operator, such as equals") }
        let unknown = Set(object.keys).subtracting(["field", "operator", "value"])
        if let extra = unknown.sorted().first { problems.add("\(path).\(extra)", "unknown_property", "is not part of a criterion") }
        guard let field, let op else { return nil }
        return RuleCriterion(field: field, operator: op, value: object["value"] == .null ? nil : object["value"])
    }
}

/// The problems found in a rule; thrown as one 422 naming each path.
struct RuleProblems: Error, Sendable {
    var errors: [Problem.FieldError] = []
    /// Criteria compiled so far, named segments' included: compilation stops expanding
    /// segments past `Rule.maximumExpandedCriteria`, so a rule cannot grow without bound.
    var compiledCriteria = 0

    var isEmpty: Bool { self.errors.isEmpty }

    mutating func add(_ field: String, _ code: String, _ message: String) {
        self.errors.append(.init(field: field, code: code, message: message))
    }

    var problem: Problem {
        let first = self.errors.first.map { "\($0.field) \($0.message)" } ?? "The rule is not valid."
        return .validation("The rule is not valid: \(first)\(self.errors.count > 1 ? " (and \(self.errors.count - 1) more)" : "").", errors: self.errors)
    }
}
