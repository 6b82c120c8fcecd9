import RosterProtocol

extension Problem {
    /// A browser-mode request that changes state came without its session's CSRF token.
    public static let csrfInvalid = Problem(
        status: 403, code: "csrf_token_invalid", title: "Forbidden",
        detail: "Requests signed in by cookie need the session's X-CSRF-Token header (GET /api/v1/auth/csrf).")
}
