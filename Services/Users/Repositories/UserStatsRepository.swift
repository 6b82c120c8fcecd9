import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Statistics of an application's users (seeds 000, 001, 003, 004), read from the counts
/// kept in `user_facts` (migration 0007) — a few hundred rows whatever the number of users.
/// Days, weeks (from Monday), months and years are UTC calendar periods; the rolling windows
/// of growth count recent users on the creation index.
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

    /// The first day (`YYYY-MM-DD`) of the current UTC period (`day`, `week`, `month`, `year`).
    private static func firstDay(_ period: String) -> SQLFragment {
        "to_char(date_trunc('\(identifier: period)', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    }

    /// The kept facts of some dimensions, shards summed: `sum(users)` / `sum(score)` per value.
    private static func facts(_ dimensions: [String], applicationID: EntityID) -> SQLFragment {
        """
        (SELECT dimension, value, sum(users)::int8 AS users, sum(score)::float8 AS score FROM user_facts
         WHERE application_id = \(applicationID) AND dimension = ANY(\(dimensions)) GROUP BY dimension, value HAVING sum(users) <> 0) AS f
        """
    }

    func summary(applicationID: EntityID, logger: Logger) async throws -> Summary {
        let select: SQLFragment = """
            SELECT coalesce(sum(users) FILTER (WHERE dimension = 'type_status'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'type_status' AND value LIKE '%/active'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'created_day' AND value >= \(Self.firstDay("day"))), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'created_day' AND value >= \(Self.firstDay("week"))), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'created_day' AND value >= \(Self.firstDay("month"))), 0)::int,
                coalesce(sum(score) FILTER (WHERE dimension = 'engagement'), 0)::float8,
                coalesce(sum(users) FILTER (WHERE dimension = 'engagement' AND value = 'high'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'engagement' AND value = 'moderate'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'engagement' AND value = 'low'), 0)::int
            FROM \(Self.facts(["type_status", "created_day", "engagement"], applicationID: applicationID))
            """
        let (total, active, today, week, month, scores, high, moderate, low) = try await self.single(
            select, as: (Int, Int, Int, Int, Int, Double, Int, Int, Int).self, logger: logger)
        let recent: SQLFragment = """
            SELECT (count(*) FILTER (WHERE created_at >= now() - interval '1 day'))::int,
                (count(*) FILTER (WHERE created_at >= now() - interval '7 days'))::int, count(*)::int
            FROM users WHERE application_id = \(applicationID) AND created_at >= now() - interval '30 days'
            """
        let (lastDay, lastWeek, lastMonth) = try await self.single(recent, as: (Int, Int, Int).self, logger: logger)
        func growth(_ new: Int) -> Double {
            let before = total - new
            return before <= 0 ? 0 : (Double(new) / Double(before) * 1000).rounded() / 10
        }
        let average = total == 0 ? 0 : scores / Double(total)
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
            SELECT coalesce(sum(users) FILTER (WHERE dimension = 'type_status'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'created_day' AND value >= \(Self.firstDay("month"))), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'created_day' AND value >= \(Self.firstDay("year"))), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'incomplete_day'), 0)::int,
                coalesce(sum(users) FILTER (WHERE dimension = 'incomplete_day' AND value >= \(Self.firstDay("month"))), 0)::int
            FROM \(Self.facts(["type_status", "created_day", "incomplete_day"], applicationID: applicationID))
            """
        let (total, month, year, incomplete, incompleteMonth) = try await self.single(totals, as: (Int, Int, Int, Int, Int).self, logger: logger)
        let months: SQLFragment = """
            SELECT to_char(m, 'YYYY-MM'), coalesce(sum(f.users), 0)::int
            FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months',
                date_trunc('month', now() AT TIME ZONE 'UTC'), interval '1 month') AS m
            LEFT JOIN \(Self.facts(["created_day"], applicationID: applicationID)) ON left(f.value, 7) = to_char(m, 'YYYY-MM')
            GROUP BY m ORDER BY m
            """
        let years: SQLFragment = """
            SELECT left(value, 4), sum(users)::int FROM \(Self.facts(["created_day"], applicationID: applicationID)) GROUP BY 1 ORDER BY 1
            """
        return Metrics(
            totalUsers: total, createdThisMonth: month, createdThisYear: year,
            createdPerMonth: try await self.periods(months, logger: logger), createdPerYear: try await self.periods(years, logger: logger),
            incompleteRegistrations: incomplete, incompleteRegistrationsThisMonth: incompleteMonth,
            byType: try await self.counts(by: "type", applicationID: applicationID, logger: logger),
            byStatus: try await self.counts(by: "status", applicationID: applicationID, logger: logger))
    }

    /// Users per value of `type`, `status` or `sex`, every value listed (0 when none has it);
    /// `unknown` counts users without a sex.
    func counts(by column: String, applicationID: EntityID, logger: Logger) async throws -> [String: Int] {
        let (values, select): ([String], SQLFragment) =
            switch column {
            case "type", "status":
                (
                    column == "type" ? UserType.allCases.map(\.rawValue) : UserStatus.allCases.map(\.rawValue),
                    """
                    SELECT \(column == "type" ? "split_part(value, '/', 1)" : "split_part(value, '/', 2)" as SQLFragment), sum(users)::int
                    FROM \(Self.facts(["type_status"], applicationID: applicationID)) GROUP BY 1
                    """
                )
            default:
                (["male", "female", "other"], "SELECT value, users::int FROM \(Self.facts(["sex"], applicationID: applicationID))")
            }
        var counts = Dictionary(uniqueKeysWithValues: values.map { ($0, 0) })
        for try await (value, count) in try await self.client.query(select.query(), logger: logger).decode((String, Int).self) {
            counts[value] = count
        }
        return counts
    }

    /// Users per age bucket (seed 004), from the birth dates kept, in whole years in UTC today.
    func ages(applicationID: EntityID, logger: Logger) async throws -> [String: Int] {
        let buckets = ["under18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"]
        var counts = Dictionary(uniqueKeysWithValues: buckets.map { ($0, 0) })
        let select: SQLFragment = """
            SELECT CASE WHEN age IS NULL THEN 'unknown' WHEN age < 18 THEN 'under18' WHEN age < 25 THEN '18-24'
                WHEN age < 35 THEN '25-34' WHEN age < 45 THEN '35-44' WHEN age < 55 THEN '45-54' WHEN age < 65 THEN '55-64'
                ELSE '65+' END, sum(users)::int
            FROM (SELECT users, CASE WHEN value = 'unknown' THEN NULL
                    ELSE extract(year FROM age((now() AT TIME ZONE 'UTC')::date, value::date))::int END AS age
                FROM \(Self.facts(["birth_date"], applicationID: applicationID))) a
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
        var counts: [String: [String: Int]] = ["category": [:], "network": [:], "no_category": [:]]
        let select: SQLFragment = "SELECT dimension, value, users::int FROM \(Self.facts(["category", "network", "no_category"], applicationID: applicationID))"
        for try await (dimension, value, count) in try await self.client.query(select.query(), logger: logger).decode((String, String, Int).self) {
            counts[dimension, default: [:]][value] = count
        }
        return PreferenceCounts(
            categories: counts["category"] ?? [:], networks: counts["network"] ?? [:], withoutCategories: counts["no_category"]?[""] ?? 0)
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
