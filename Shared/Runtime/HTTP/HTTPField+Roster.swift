import HTTPTypes

extension HTTPField.Name {
    /// `X-Request-Id`: accepted from clients, created when missing, echoed on every response.
    public static let requestID = Self("X-Request-Id")!
    /// `traceparent` (W3C Trace Context).
    public static let traceparent = Self("traceparent")!
    /// `X-Api-Key`: an alternative to `Authorization: Bearer <key>` for API keys.
    public static let apiKey = Self("X-Api-Key")!
    /// `X-Total-Count`: the total of a list.
    public static let totalCount = Self("X-Total-Count")!
    /// `Content-Range: items 0-19/1250` on list responses.
    public static let contentRange = Self("Content-Range")!
    /// `Link` with next/prev/first/last pages of a list.
    public static let link = Self("Link")!
    /// `X-CSRF-Token`: required on mutations of requests signed in by the session cookie.
    public static let csrfToken = Self("X-CSRF-Token")!
    /// `X-Real-IP`: the client's address, as the gateway saw it.
    public static let realIP = Self("X-Real-IP")!
    /// `Access-Control-Expose-Headers`: the list headers a browser script may read.
    public static let accessControlExposeHeaders = Self("Access-Control-Expose-Headers")!
    /// `Idempotent-Replayed: true`: the answer is the stored one of an earlier request with the same `Idempotency-Key`.
    public static let idempotentReplayed = Self("Idempotent-Replayed")!
}
