/// The answer of `GET /internal/v1/ping`: proves a caller's service token was accepted.
public struct PingResponse: Codable, Sendable, Equatable {
    /// The service that answered.
    public var service: String
    /// The service that called, as named in its service token.
    public var caller: String

    public init(service: String, caller: String) {
        self.service = service
        self.caller = caller
    }
}
