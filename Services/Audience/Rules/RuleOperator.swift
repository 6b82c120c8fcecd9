/// An operator of a criterion: one of seed 000's twelve or DESIGN §5's additions, with `_ci`
/// for the case-insensitive variant of a text operator (`equals_ci`, `contains_ci`, ...).
struct RuleOperator: Sendable, Equatable, CustomStringConvertible {
    enum Base: String, CaseIterable, Sendable {
        case equals, notEquals = "not_equals", contains, notContains = "not_contains", startsWith = "starts_with",
            endsWith = "ends_with", greaterThan = "greater_than", lessThan = "less_than", greaterOrEqual = "greater_or_equal",
            lessOrEqual = "less_or_equal", between, `in`, notIn = "not_in", exists, notExists = "not_exists", regex

        /// The operator this one negates, for the four negative ones.
        var positive: Base? {
            switch self {
            case .notEquals: .equals
            case .notContains: .contains
            case .notIn: .in
            case .notExists: .exists
            default: nil
            }
        }
    }

    var base: Base
    var ignoresCase: Bool

    init(_ base: Base, ignoresCase: Bool = false) {
        self.base = base
        self.ignoresCase = ignoresCase
    }

    init?(_ text: String) {
        let ignoresCase = text.hasSuffix("_ci")
        guard let base = Base(rawValue: ignoresCase ? String(text.dropLast(3)) : text) else { return nil }
        self.init(base, ignoresCase: ignoresCase)
    }

    var description: String { self.base.rawValue + (self.ignoresCase ? "_ci" : "") }

    /// The operators that take a case-insensitive variant (on text only).
    static let caseFoldable: Set<Base> = [.equals, .notEquals, .contains, .notContains, .startsWith, .endsWith, .in, .notIn, .regex]
}
