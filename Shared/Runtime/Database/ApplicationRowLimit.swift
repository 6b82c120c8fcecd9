import RosterProtocol

/// A cap on how many rows of a table one application may have (catalogs that are read whole).
///
/// The check is part of the `INSERT … SELECT … WHERE` itself (`condition`), so a create past
/// the cap inserts nothing and the repository answers `problem`.
public struct ApplicationRowLimit: Sendable {
    public let table: String
    public let limit: Int
    /// The problem code, e.g. `too_many_types`.
    public let code: String
    /// What the rows are, in the plural (`notification types`).
    public let noun: String

    public init(table: String, limit: Int, code: String, noun: String) {
        self.table = table
        self.limit = limit
        self.code = code
        self.noun = noun
    }

    /// True while the application has fewer rows than the limit.
    public func condition(applicationID: EntityID) -> SQLFragment {
        "(SELECT count(*) FROM \(identifier: self.table) WHERE application_id = \(applicationID)) < \(self.limit)"
    }

    /// The 422 a create past the limit answers.
    public var problem: Problem {
        Problem(
            status: 422, code: self.code, title: "Too many \(self.noun)",
            detail: "An application has at most \(self.limit) \(self.noun); delete one first.")
    }
}
