import Foundation
import RosterProtocol
import RosterRuntime

/// What rules of one application can refer to: its attribute definitions (by slug) and its
/// segments (by id, with their stored rules).
struct RuleCatalog: Sendable {
    struct SegmentEntry: Sendable {
        var name: String
        var rule: Rule
    }

    var definitions: [String: AttributeDefinition]
    var segments: [EntityID: SegmentEntry]

    /// Whether `rule` names a time ago (`"7d"`), directly or through the segments it names: time
    /// alone then moves users in and out of it.
    func usesRelativeTime(_ rule: Rule, depth: Int = 0) -> Bool {
        guard depth <= Rule.maximumDepth else { return false }
        let isTime = { (field: String) in
            (try? RuleField.resolve(field, definitions: self.definitions).get())?.type == .time
        }
        return rule.namesRelativeTime(isTime: isTime)
            || rule.segmentReferences.contains { self.segments[$0].map { self.usesRelativeTime($0.rule, depth: depth + 1) } ?? false }
    }

    /// Whether `rule` tests `field`, directly or through the segments it names.
    func tests(_ rule: Rule, field: String) -> Bool {
        self.tests(rule, where: { $0 == field })
    }

    /// Whether `rule` tests a field meeting `condition`, directly or through the segments it names.
    func tests(_ rule: Rule, where condition: (String) -> Bool, depth: Int = 0) -> Bool {
        guard depth <= Rule.maximumDepth else { return false }
        return rule.fieldNames.contains(where: condition)
            || rule.segmentReferences.contains {
                self.segments[$0].map { self.tests($0.rule, where: condition, depth: depth + 1) } ?? false
            }
    }

    /// Whether `rule` names `segment`, directly or through the segments it names.
    func includes(_ rule: Rule, segment: EntityID, depth: Int = 0) -> Bool {
        guard depth <= Rule.maximumDepth else { return false }
        return rule.segmentReferences.contains { id in
            id == segment || (self.segments[id].map { self.includes($0.rule, segment: segment, depth: depth + 1) } ?? false)
        }
    }
}

/// Checks a rule against a catalog and types its values: unknown fields, operators the
/// field's type does not offer, values of the wrong type, unknown or cyclic segments are
/// reported by path (`criteria[0].criteria[2].value`) in one 422.
struct RuleCompiler: Sendable {
    let catalog: RuleCatalog
    /// Relative times (`"7d"`) count back from here.
    let now: Date

    static let maximumListLength = 1_000
    static let maximumTextBytes = 2_000
    static let maximumPatternLength = 500

    /// Compiles `rule`, which belongs to segment `owner` when one is being saved (so that it
    /// cannot include itself, directly or through others).
    func compile(_ rule: Rule, owner: EntityID? = nil, path: String = "") throws(RuleProblems) -> CompiledRule {
        var problems = RuleProblems()
        let compiled = self.compile(rule, path: path, visiting: owner.map { [$0] } ?? [], problems: &problems)
        if problems.compiledCriteria > Rule.maximumExpandedCriteria, problems.isEmpty {
            problems.add(
                path.isEmpty ? "criteria" : path + ".criteria", "rule_too_large",
                "holds more than \(Rule.maximumExpandedCriteria) criteria with the named segments' own")
        }
        if !problems.isEmpty { throw problems }
        return compiled
    }

    private func compile(_ rule: Rule, path: String, visiting: Set<EntityID>, problems: inout RuleProblems) -> CompiledRule {
        let prefix = path.isEmpty ? "" : path + "."
        let nodes = self.compile(rule.criteria, path: prefix + "criteria", problems: &problems)
        let include = self.segments(rule.includeSegments, path: prefix + "includeSegments", visiting: visiting, problems: &problems)
        let exclude = self.segments(rule.excludeSegments, path: prefix + "excludeSegments", visiting: visiting, problems: &problems)
        return CompiledRule(logic: rule.logic, nodes: nodes, include: include, exclude: exclude)
    }

    private func compile(_ nodes: [RuleNode], path: String, problems: inout RuleProblems) -> [CompiledNode] {
        nodes.enumerated().compactMap { index, node in
            let nodePath = "\(path)[\(index)]"
            switch node {
            case .group(let logic, let criteria):
                return .group(path: nodePath, logic: logic, nodes: self.compile(criteria, path: nodePath + ".criteria", problems: &problems))
            case .criterion(let criterion):
                problems.compiledCriteria += 1
                return self.compile(criterion, path: nodePath, problems: &problems).map { .criterion($0) }
            }
        }
    }

    private func segments(_ ids: [EntityID], path: String, visiting: Set<EntityID>, problems: inout RuleProblems) -> [CompiledSegment] {
        ids.enumerated().compactMap { index, id in
            let itemPath = "\(path)[\(index)]"
            guard !visiting.contains(id) else {
                problems.add(itemPath, "segment_cycle", "would make the segment include itself")
                return nil
            }
            guard let entry = self.catalog.segments[id] else {
                problems.add(itemPath, "unknown_segment", "names no segment of this application")
                return nil
            }
            guard visiting.count < Rule.maximumDepth else {
                problems.add(itemPath, "too_deep", "segments include each other at most \(Rule.maximumDepth) deep")
                return nil
            }
            guard problems.compiledCriteria <= Rule.maximumExpandedCriteria else {
                problems.add(
                    itemPath, "rule_too_large",
                    "makes the rule hold more than \(Rule.maximumExpandedCriteria) criteria with the named segments' own")
                return nil
            }
            var inner = RuleProblems(compiledCriteria: problems.compiledCriteria)
            let rule = self.compile(entry.rule, path: "", visiting: visiting.union([id]), problems: &inner)
            problems.compiledCriteria = inner.compiledCriteria
            for error in inner.errors {
                let message = error.code == "segment_cycle" ? error.message : "segment \(entry.name): \(error.field) \(error.message)"
                problems.add(itemPath, error.code, message)
            }
            return CompiledSegment(id: id, name: entry.name, rule: rule)
        }
    }

    private func compile(_ criterion: RuleCriterion, path: String, problems: inout RuleProblems) -> CompiledCriterion? {
        let field: RuleField
        switch RuleField.resolve(criterion.field, definitions: self.catalog.definitions) {
        case .success(let resolved): field = resolved
        case .failure(let error):
            problems.add(path + ".field", "unknown_field", error.message)
            return nil
        }
        guard var op = RuleOperator(criterion.operator) else {
            let names = RuleOperator.Base.allCases.map(\.rawValue).joined(separator: ", ")
            problems.add(path + ".operator", "unknown_operator", "must be one of \(names) (text operators also with _ci)")
            return nil
        }
        let offered = RuleField.operators(for: field.type)
        guard offered.contains(op.base), !op.ignoresCase || (field.type == .text && RuleOperator.caseFoldable.contains(op.base)) else {
            let names = offered.map(\.rawValue).sorted().joined(separator: ", ")
            problems.add(path + ".operator", "operator_not_allowed", "\(op) does not apply to \(criterion.field) (\(field.type.rawValue)); use one of \(names)")
            return nil
        }
        let valuePath = path + ".value"
        var operands: [RuleValue] = []
        do throws(RuleValueError) {
            switch op.base {
            case .exists, .notExists:
                // `exists false` is `not_exists`.
                if let value = criterion.value {
                    guard case .bool(let flag) = value else { throw .init("must be true or false, or left out") }
                    if !flag { op = RuleOperator(op.base == .exists ? .notExists : .exists) }
                }
            case .between:
                guard let items = criterion.value?.arrayValue, items.count == 2 else { throw .init("must be a list of two values: [low, high]") }
                for item in items { operands.append(try self.value(item, field: field)) }
                if Self.ordered(operands[1], before: operands[0]) { throw .init("must list the low value first") }
            case .in, .notIn:
                guard let items = criterion.value?.arrayValue, (1...Self.maximumListLength).contains(items.count) else {
                    throw .init("must be a list of 1 to \(Self.maximumListLength) values")
                }
                for item in items { operands.append(try self.value(item, field: field)) }
            case .regex:
                guard let pattern = criterion.value?.stringValue, !pattern.isEmpty, pattern.count <= Self.maximumPatternLength else {
                    throw .init("must be a regular expression of 1 to \(Self.maximumPatternLength) characters")
                }
                operands = [.text(pattern)]
            default:
                guard let value = criterion.value else { throw .init("is required for \(op)") }
                operands = [try self.value(value, field: field)]
            }
            if let vocabulary = field.vocabulary, [.equals, .notEquals, .in, .notIn].contains(op.base) {
                let known = Set(vocabulary.map { op.ignoresCase ? $0.lowercased() : $0 })
                for case .text(let text) in operands where !known.contains(op.ignoresCase ? text.lowercased() : text) {
                    throw .init("\"\(text)\" is not a value of \(criterion.field); it takes \(vocabulary.joined(separator: ", "))")
                }
            }
        } catch {
            problems.add(valuePath, "invalid_value", error.message)
            return nil
        }
        return CompiledCriterion(path: path, source: criterion, field: field, op: op, operands: operands)
    }

    /// One value in the field's type.
    private func value(_ json: JSONValue, field: RuleField) throws(RuleValueError) -> RuleValue {
        switch (field.type, json) {
        case (.text, .string(let text)), (.list, .string(let text)), (.membership, .string(let text)):
            guard !text.isEmpty, text.utf8.count <= Self.maximumTextBytes else {
                throw .init("must be a string of 1 to \(Self.maximumTextBytes) bytes")
            }
            return .text(text)
        case (.number, .integer(let number)): return .number(Double(number))
        case (.number, .number(let number)) where number.isFinite: return .number(number)
        case (.boolean, .bool(let flag)): return .bool(flag)
        case (.time, .string(let text)):
            guard let date = Self.time(text, now: self.now) else {
                throw .init("must be a date (2025-01-31), a timestamp (2025-01-31T12:00:00Z) or a time ago (30m, 24h, 7d, 2w)")
            }
            return .time(date)
        case (.text, _), (.list, _), (.membership, _): throw .init("must be a string")
        case (.number, _): throw .init("must be a number")
        case (.boolean, _): throw .init("must be true or false")
        case (.time, _): throw .init("must be a date, a timestamp or a time ago such as 7d")
        }
    }

    /// An absolute date or timestamp, or a time ago (`relativeSeconds`) counted back from `now`.
    static func time(_ text: String, now: Date) -> Date? {
        if let seconds = Self.relativeSeconds(text) { return now.addingTimeInterval(-seconds) }
        return AttributeCoercion.time(text, dateOnly: text.utf8.count == 10)
    }

    /// `<n><s|m|h|d|w>` (n up to a million) in seconds; `nil` for any other text.
    static func relativeSeconds(_ text: String) -> Double? {
        guard let unit = text.last, let amount = Int(text.dropLast()), amount >= 0, amount <= 1_000_000 else { return nil }
        let seconds: Double? =
            switch unit {
            case "s": 1
            case "m": 60
            case "h": 3_600
            case "d": 86_400
            case "w": 604_800
            default: nil
            }
        return seconds.map { Double(amount) * $0 }
    }

    private static func ordered(_ lhs: RuleValue, before rhs: RuleValue) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): a < b
        case (.time(let a), .time(let b)): a < b
        default: false
        }
    }
}

/// Why a criterion's value cannot be used.
struct RuleValueError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
