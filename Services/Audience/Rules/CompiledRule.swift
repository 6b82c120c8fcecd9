import Foundation
import RosterProtocol

/// A rule checked against the application's fields and segments, every value typed (relative
/// times resolved against the moment it was compiled): what SQL and explanations are made from.
struct CompiledRule: Sendable {
    var logic: RuleLogic
    var nodes: [CompiledNode]
    var include: [CompiledSegment]
    var exclude: [CompiledSegment]
}

/// A segment named by `includeSegments`/`excludeSegments`, compiled in place.
struct CompiledSegment: Sendable {
    var id: EntityID
    var name: String
    var rule: CompiledRule
}

/// A criterion, or a nested group of them.
indirect enum CompiledNode: Sendable {
    case criterion(CompiledCriterion)
    case group(path: String, logic: RuleLogic, nodes: [CompiledNode])
}

/// One criterion with its field resolved and its value typed for the operator.
struct CompiledCriterion: Sendable {
    var path: String
    /// As written, for explanations.
    var source: RuleCriterion
    var field: RuleField
    var op: RuleOperator
    var operands: [RuleValue]
}

/// A criterion's value in the field's type.
enum RuleValue: Sendable, Equatable {
    case text(String), number(Double), time(Date), bool(Bool)

    var text: String? { if case .text(let value) = self { value } else { nil } }
}
