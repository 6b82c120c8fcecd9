import PostgresNIO

/// A piece of SQL and its bound values that composes with other pieces.
///
/// Values interpolated into a fragment are always sent as bind parameters; fragments
/// interpolated into fragments keep their own binds, and placeholders are numbered only
/// when the final `PostgresQuery` is made. Identifiers can be interpolated only through
/// `identifier:`, which accepts plain lowercase names (columns chosen from a whitelist).
public struct SQLFragment: Sendable, ExpressibleByStringInterpolation {
    enum Bind: Sendable {
        case value(any PostgresEncodable & Sendable)
        case null
    }

    /// Marks where a bind goes in `text`; never part of SQL we write.
    static let marker: Unicode.Scalar = "\u{1}"

    var text: String
    var binds: [Bind]

    public init(stringLiteral value: String) {
        self.text = value
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.text = stringInterpolation.text
        self.binds = stringInterpolation.binds
    }

    /// Builds a fragment from a string literal with interpolated values, fragments and identifiers.
    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [Bind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            self.text.reserveCapacity(literalCapacity + interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            self.text += literal
        }

        /// A bound value.
        public mutating func appendInterpolation(_ value: some PostgresEncodable & Sendable) {
            self.text.unicodeScalars.append(SQLFragment.marker)
            self.binds.append(.value(value))
        }

        /// A bound value or SQL NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable & Sendable)?) {
            self.text.unicodeScalars.append(SQLFragment.marker)
            self.binds.append(value.map { .value($0) } ?? .null)
        }

        /// Another fragment, binds included.
        public mutating func appendInterpolation(_ fragment: SQLFragment) {
            self.text += fragment.text
            self.binds += fragment.binds
        }

        /// A trusted identifier (`created_at`, `users.email`); anything else is a programming error.
        public mutating func appendInterpolation(identifier: String) {
            precondition(SQLFragment.isPlainIdentifier(identifier), "not a plain SQL identifier: \(identifier)")
            self.text += identifier
        }
    }

    /// Joins fragments with a separator (`" AND "`, `", "`).
    public static func joined(_ fragments: [SQLFragment], separator: String) -> SQLFragment {
        var result = SQLFragment(stringLiteral: "")
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { result.text += separator }
            result.text += fragment.text
            result.binds += fragment.binds
        }
        return result
    }

    /// `((a) AND (b) AND ...)`, or `TRUE` when there is nothing to combine. Wrapped whole, so
    /// it stays one condition next to any operator.
    public static func all(_ conditions: [SQLFragment]) -> SQLFragment {
        conditions.isEmpty ? "TRUE" : "((" + self.joined(conditions, separator: ") AND (") + "))"
    }

    /// `((a) OR (b) OR ...)`, or `FALSE` when there is nothing to combine. Wrapped whole: `x AND
    /// (a) OR (b)` would let `b` match rows `x` excludes (another tenant's, say).
    public static func any(_ conditions: [SQLFragment]) -> SQLFragment {
        conditions.isEmpty ? "FALSE" : "((" + self.joined(conditions, separator: ") OR (") + "))"
    }

    public static func + (lhs: SQLFragment, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(text: lhs.text + rhs.text, binds: lhs.binds + rhs.binds)
    }

    private init(text: String, binds: [Bind]) {
        self.text = text
        self.binds = binds
    }

    /// The query to run: markers become `$1, $2, ...` in order.
    public func query() throws -> PostgresQuery {
        var sql = ""
        sql.reserveCapacity(self.text.utf8.count + self.binds.count * 3)
        var number = 0
        // Unicode scalars, not Characters: a combining mark after the marker would otherwise
        // merge with it into one Character and hide the bind.
        for scalar in self.text.unicodeScalars {
            if scalar == Self.marker {
                number += 1
                sql += "$\(number)"
            } else {
                sql.unicodeScalars.append(scalar)
            }
        }
        var bindings = PostgresBindings(capacity: self.binds.count)
        for bind in self.binds {
            switch bind {
            case .value(let value): try bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        !name.isEmpty
            && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
                guard let first = part.first, first.isLetter || first == "_" else { return false }
                return part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
            }
    }
}
