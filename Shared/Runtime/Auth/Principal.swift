import RosterProtocol

/// Who is calling a public route, always within one application (tenant).
public struct Principal: Sendable, Equatable {
    /// How the caller proved who it is.
    public enum Credential: Sendable, Equatable {
        /// A server-to-server API key: administrator of its application.
        case apiKey(keyID: EntityID)
        /// A signed-in user, from an access JWT.
        case user(userID: EntityID, userType: String)
    }

    public var applicationID: EntityID
    public var credential: Credential

    public init(applicationID: EntityID, credential: Credential) {
        self.applicationID = applicationID
        self.credential = credential
    }

    /// API keys and users of type `admin` administer their application.
    public var isAdmin: Bool {
        switch self.credential {
        case .apiKey: true
        case .user(_, let userType): userType == "admin"
        }
    }

    /// The signed-in user's id, `nil` for API keys.
    public var userID: EntityID? {
        if case .user(let id, _) = self.credential { return id }
        return nil
    }
}
