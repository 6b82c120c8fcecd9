import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Aggregates over an application's users (seeds 000, 001, 003, 004), each one SQL statement.
/// Days, weeks (from Monday), months and years are UTC calendar periods.
struct UserStatsRepository: Sendable {
    let client: PostgresClient

    /// `GET /users-stats` (seed 000).
    struct Summary: Encodable, Sendable {
        struct NewUsers: Encodable, Sendable {
            var today: Int, thisWeek: Int, thisMonth: Int
        }
        struct Engagement: Encodable, Sendable {
            var avgEngagementScore: Double
            /// Score ≥ 70, 30 to 70, below 30.
            var highlyEngaged: Int, moderatelyEngaged: Int, lowEngagement: Int
        }
        /// Percent: users created in the last day (week, month) over the users there were before it.
        struct Growth: Encodable, Sendable {
            var daily: Double, weekly: Double, monthly: Double
        }
        var totalUsers: Int
        var activeUsers: Int
        var newUsers: NewUsers
        var engagement: Engagement
        var growth: Growth
    }

    /// The start of the current UTC period (`day`, `week`, `month`, `year`).
    private static func start(_ period: String) -> SQLFragment {
        "(date_trunc('\(identifier: period)', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    }

    func summary(applicationID: EntityID, logger: Logger) async throws -> Summary {
        let select: SQLFragment = """
            SELECT count(*)::int, (count(*) FILTER (WHERE status = 'active'))::int,
                (count(*) FILTER (WHERE created_at >= \(Self.start("day"))))::int,
                (count(*) FILTER (WHERE created_at >= \(Self.start("week"))))::int,
                (count(*) FILTER (WHERE created_at >= \(Self.start("month"))))::int,
                coalesce(avg(engagement_score), 0)::float8,
                (count(*) FILTER (WHERE engagement_score >= 70))::int,
                (count(*) FILTER (WHERE engagement_score >= 30 AND engagement_score < 70))::int,
                (count(*) FILTER (WHERE engagement_score < 30))::int,
                (count(*) FILTER (WHERE created_at >= now() - interval '1 day'))::int,
                (count(*) FILTER (WHERE created_at >= now() - interval '7 days'))::int,
                (count(*) FILTER (WHERE created_at >= now() - interval '30 days'))::int
            FROM users WHERE application_id = \(applicationID)
            """
        let row = try await self.single(select, as: (Int, Int, Int, Int, Int, Double, Int, Int, Int, Int, Int, Int).self, logger: logger)
        let (total, active, today, week, month, average, high, moderate, low, lastDay, lastWeek, lastMonth) = row
        func growth(_ new: Int) -> Double {
            let before = total - new
            return before == 0 ? 0 : (Double(new) / Double(before) * 1000).rounded() / 10
        }
        return Summary(
            totalUsers: total, activeUsers: active, newUsers: .init(today: today, thisWeek: week, thisMonth: month),
            engagement: .init(
                avgEngagementScore: (average * 10).rounded() / 10, highlyEngaged: high, moderatelyEngaged: moderate, lowEngagement: low),
            growth: .init(daily: growth(lastDay), weekly: growth(lastWeek), monthly: growth(lastMonth)))
    }

    /// `GET /users/metrics` (seed 001).
    struct Metrics: Encodable, Sendable {
        struct Period: Encodable, Sendable {
            /// `2026-11` for a month, `2026` for a year.
            var period: String
            var created: Int
        }
        var totalUsers: Int
        var createdThisMonth: Int
        var createdThisYear: Int
        /// The last 12 months, oldest first (months without users included).
        var createdPerMonth: [Period]
        /// Every year with users, oldest first.
        var createdPerYear: [Period]
        /// Users with an email not yet verified: registrations not completed.
        var incompleteRegistrations: Int
        var incompleteRegistrationsThisMonth: Int
        var byType: [String: Int]
        var byStatus: [String: Int]
    }

    func metrics(applicationID: EntityID, logger: Logger) async throws -> Metrics {
        let totals: SQLFragment = """
            SELECT count(*)::int, (count(*) FILTER (WHERE created_at >= \(Self.start("month"))))::int,
                (count(*) FILTER (WHERE created_at >= \(Self.start("year"))))::int,
                (count(*) FILTER (WHERE email IS NOT NULL AND NOT email_verified))::int,
                (count(*) FILTER (WHERE email IS NOT NULL AND NOT email_verified AND created_at >= \(Self.start("month"))))::int
            FROM users WHERE application_id = \(applicationID)
            """
        let (total, month, year, incomplete, incompleteMonth) = try await self.single(totals, as: (Int, Int, Int, Int, Int).self, logger: logger)
        let months: SQLFragment = """
            SELECT to_char(m, 'YYYY-MM'), (SELECT count(*)::int FROM users WHERE application_id = \(applicationID)
                AND created_at >= m AT TIME ZONE 'UTC' AND created_at < (m + interval '1 month') AT TIME ZONE 'UTC')
            FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months',
                date_trunc('month', now() AT TIME ZONE 'UTC'), interval '1 month') AS m
            ORDER BY m
            """
        let years: SQLFragment = """
            SELECT to_char(date_trunc('year', created_at AT TIME ZONE 'UTC'), 'YYYY') AS y, count(*)::int
            FROM users WHERE application_id = \(applicationID) GROUP BY 1 ORDER BY 1
            """
        return Metrics(
            totalUsers: total, createdThisMonth: month, createdThisYear: year,
            createdPerMonth: try await self.periods(months, logger: logger), createdPerYear: try await self.periods(years, logger: logger),
            incompleteRegistrations: incomplete, incompleteRegistrationsThisMonth: incompleteMonth,
            byType: try await self.counts(by: "type", applicationID: applicationID, logger: logger),
            byStatus: try await self.counts(by: "status", applicationID: applicationID, logger: logger))
    }

    /// Users per value of a column (`type`, `status`, `sex`), every value the column takes
    /// listed with 0 when none has it; `unknown` counts users without one.
    func counts(by column: String, applicationID: EntityID, logger: Logger) async throws -> [String: Int] {
        let values: [String] =
            switch column {
            case "type": UserType.allCases.map(\.rawValue)
            case "status": UserStatus.allCases.map(\.rawValue)
            default: ["male", "female", "other"]
            }
        var counts = Dictionary(uniqueKeysWithValues: values.map { ($0, 0) })
        let select: SQLFragment = """
            SELECT coalesce(\(identifier: column), 'unknown'), count(*)::int FROM users WHERE application_id = \(applicationID) GROUP BY 1
            """
        for try await (value, count) in try await self.client.query(select.query(), logger: logger).decode((String, Int).self) {
            counts[value] = count
        }
        return counts
    }

    /// Users per age bucket (seed 004), from the birth date, in whole years in UTC today.
    func ages(applicationID: EntityID, logger: Logger) async throws -> [String: Int] {
        let buckets = ["under18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"]
        var counts = Dictionary(uniqueKeysWithValues: buckets.map { ($0, 0) })
        let select: SQLFragment = """
            SELECT CASE WHEN age IS NULL THEN 'unknown' WHEN age < 18 THEN 'under18' WHEN age < 25 THEN '18-24'
                WHEN age < 35 THEN '25-34' WHEN age < 45 THEN '35-44' WHEN age < 55 THEN '45-54' WHEN age < 65 THEN '55-64'
                ELSE '65+' END, count(*)::int
            FROM (SELECT extract(year FROM age((now() AT TIME ZONE 'UTC')::date, birth_date))::int AS age
                FROM users WHERE application_id = \(applicationID)) a
            GROUP BY 1
            """
        for try await (bucket, count) in try await self.client.query(select.query(), logger: logger).decode((String, Int).self) {
            counts[bucket] = count
        }
        return counts
    }

    /// Users per preference category and per network (seed 004).
    struct PreferenceCounts: Encodable, Sendable {
        var categories: [String: Int]
        var networks: [String: Int]
        /// Users who chose no category.
        var withoutCategories: Int
    }

    func preferences(applicationID: EntityID, logger: Logger) async throws -> PreferenceCounts {
        func tally(_ key: String) async throws -> [String: Int] {
            let select: SQLFragment = """
                SELECT item, count(*)::int FROM users, jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(preferences -> \(key)) = 'array' THEN preferences -> \(key) ELSE '[]' END) AS item
                WHERE application_id = \(applicationID) GROUP BY 1
                """
            var counts: [String: Int] = [:]
            for try await (item, count) in try await self.client.query(select.query(), logger: logger).decode((String, Int).self) {
                counts[item] = count
            }
            return counts
        }
        let without: SQLFragment = """
            SELECT count(*)::int FROM users WHERE application_id = \(applicationID)
                AND coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(preferences -> 'categories') = 'array'
                    THEN preferences -> 'categories' END), 0) = 0
            """
        return PreferenceCounts(
            categories: try await tally("categories"), networks: try await tally("networks"),
            withoutCategories: try await self.single(without, as: (Int).self, logger: logger))
    }

    private func periods(_ select: SQLFragment, logger: Logger) async throws -> [Metrics.Period] {
        var periods: [Metrics.Period] = []
        for try await (period, count) in try await self.client.query(select.query(), logger: logger).decode((String, Int).self) {
            periods.append(.init(period: period, created: count))
        }
        return periods
    }

    /// The one row an aggregate without GROUP BY answers.
    private func single<each Column: PostgresDecodable>(
        _ select: SQLFragment, as type: (repeat each Column).Type, logger: Logger
    ) async throws -> (repeat each Column) {
        var iterator = try await self.client.query(select.query(), logger: logger).makeAsyncIterator()
        guard let row = try await iterator.next() else { throw Problem.unavailable("The statistics could not be read; retry.") }
        return try row.decode((repeat each Column).self)
    }
}
