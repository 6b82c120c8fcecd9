/// `POST /internal/v1/api-keys/introspect` on the users service: is this API key valid?
///
/// Shaped like RFC 7662 token introspection: always 200, with `active` saying whether the
/// key may be used; inactive answers carry nothing else.
public enum APIKeyIntrospection {
    /// The key to check, exactly as the client sent it.
    public struct Request: Codable, Sendable {
        public var key: String

        public init(key: String) { self.key = key }
    }

    /// The verdict; `applicationId` and `keyId` are set only when `active`.
    public struct Response: Codable, Sendable, Equatable {
        public var active: Bool
        public var applicationId: EntityID?
        public var keyId: EntityID?
        /// `admin`, or `superuser` for keys that also manage applications.
        public var scope: String?

        public init(active: Bool, applicationId: EntityID? = nil, keyId: EntityID? = nil, scope: String? = nil) {
            self.active = active
            self.applicationId = applicationId
            self.keyId = keyId
            self.scope = scope
        }

        /// The answer for an unknown, revoked or malformed key.
        public static let inactive = Response(active: false)
    }
}
