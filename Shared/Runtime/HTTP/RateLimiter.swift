import Foundation
import Logging
import PostgresNIO
import RosterProtocol

/// Fixed-window request limits kept in the service's database, so every replica counts
/// against the same budget (used on sign-in and code endpoints).
public struct RateLimiter: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Counts one request under `key`; throws `TooManyRequests` past `limit` per `window` seconds.
    public func hit(_ key: String, limit: Int, window: Int, logger: Logger) async throws {
        let rows = try await self.client.query(
            """
            INSERT INTO rate_limits (key, window_start, count) VALUES (\(key), now(), 1)
            ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => \(window)) THEN 1
                             ELSE rate_limits.count + 1 END,
                window_start = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => \(window)) THEN now()
                                    ELSE rate_limits.window_start END
            RETURNING count, ceil(extract(epoch FROM rate_limits.window_start + make_interval(secs => \(window)) - now()))::int
            """, logger: logger)
        for try await (count, secondsLeft) in rows.decode((Int, Int).self) where count > limit {
            throw TooManyRequests(retryAfter: max(1, secondsLeft))
        }
    }
}

/// Too many requests in the current window; answered as a 429 problem with `Retry-After`.
public struct TooManyRequests: Error {
    public var retryAfter: Int
    public var code: String
    public var detail: String

    public init(retryAfter: Int, code: String = "rate_limited", detail: String = "Too many requests; retry later.") {
        self.retryAfter = retryAfter
        self.code = code
        self.detail = detail
    }

    var problem: Problem {
        var problem = Problem(status: 429, code: self.code, title: "Too many requests", detail: "\(self.detail) Retry after \(self.retryAfter) s.")
        problem.retryAfter = self.retryAfter
        return problem
    }
}
