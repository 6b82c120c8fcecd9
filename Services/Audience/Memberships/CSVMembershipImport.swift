import Foundation
import Hummingbird
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// What a CSV of users added to a group: counts and the rows that named no user.
struct CSVMatchReport: Encodable, Sendable {
    struct Unmatched: Encodable, Sendable {
        var line: Int
        var value: String
        /// `invalid` (not an id, email or phone) or `no_user` (no such user in the application).
        var reason: String
    }

    var rows = 0
    var matched = 0
    var added = 0
    var unmatchedCount = 0
    /// The first 1000 unmatched rows.
    var unmatched: [Unmatched] = []

    mutating func miss(line: Int, value: String, reason: String) {
        self.unmatchedCount += 1
        if self.unmatched.count < 1000 { self.unmatched.append(.init(line: line, value: String(value.prefix(254)), reason: reason)) }
    }
}

/// Adds the users a CSV upload names (one per row: id, email or phone, in the first column or
/// the column a header names) to a group, batch by batch in the caller's transaction.
///
/// Memory holds one batch and the first unmatched rows.
enum CSVMembershipImport {
    static func run(
        _ upload: CSVUpload, context: RosterRequestContext, groupID: EntityID, applicationID: EntityID, rules: RuleMembers,
        on connection: PostgresConnection
    ) async throws -> CSVMatchReport {
        var report = CSVMatchReport()
        var column = 0
        var field: UserKey.Field?
        var first = true
        try await upload.read { records in
            var rows: [(line: Int, text: String, key: UserKey?)] = []
            for record in records {
                if first {
                    first = false
                    if let index = record.fields.firstIndex(where: { UserKey.headerField($0) != nil }) {
                        column = index
                        field = UserKey.headerField(record.fields[index])
                        continue
                    }
                }
                let text = column < record.fields.count ? record.fields[column] : ""
                rows.append((record.line, text, UserKey(text, field: field)))
            }
            report.rows += rows.count
            let keys = Set(rows.compactMap(\.key))
            let found = try await UserMatcher().match(keys, applicationID: applicationID, on: connection, logger: context.logger)
            var ids: [EntityID] = []
            for row in rows {
                guard let key = row.key else {
                    report.miss(line: row.line, value: row.text, reason: "invalid")
                    continue
                }
                guard let id = found[key] else {
                    report.miss(line: row.line, value: row.text, reason: "no_user")
                    continue
                }
                report.matched += 1
                ids.append(id)
            }
            if !ids.isEmpty {
                let change = try await MembershipTable.groups.add(
                    ids, to: groupID, applicationID: applicationID, rules: rules, on: connection, logger: context.logger)
                report.added += change.added ?? 0
            }
        }
        return report
    }
}
