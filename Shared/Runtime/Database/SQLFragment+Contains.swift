extension SQLFragment {
    /// `column ILIKE '%text%'` for any of `columns` (case-insensitive substring search), with
    /// LIKE's wildcards in `text` taken literally. Columns are trusted identifiers.
    public static func contains(_ text: String, in columns: String...) -> SQLFragment {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return self.any(columns.map { "\(identifier: $0) ILIKE '%' || \(escaped) || '%'" })
    }
}
