import RosterProtocol

/// Who is calling a public route, always within one application (tenant).
public struct Principal: Sendable, Equatable {
    /// How the caller proved who it is.
    public enum Credential: Sendable, Equatable {
        /// A server-to-server API key: administrator of its application; a superuser key
        /// also manages applications.
        case apiKey(keyID: EntityID, superuser: Bool)
        /// A signed-in user, from an access JWT (header or browser cookie).
        case user(userID: EntityID, userType: String, sessionID: EntityID?)
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
        case .user(_, let userType, _): userType == "admin"
        }
    }

    /// Staff (agents and admins, and API keys) may read the application's users.
    public var isStaff: Bool {
        switch self.credential {
        case .apiKey: true
        case .user(_, let userType, _): userType == "admin" || userType == "agent"
        }
    }

    /// Only superuser API keys manage applications.
    public var isSuperuser: Bool {
        if case .apiKey(_, let superuser) = self.credential { return superuser }
        return false
    }

    /// The signed-in user's id, `nil` for API keys.
    public var userID: EntityID? {
        if case .user(let id, _, _) = self.credential { return id }
        return nil
    }

    /// The session the user's token belongs to, `nil` for API keys.
    public var sessionID: EntityID? {
        if case .user(_, _, let session) = self.credential { return session }
        return nil
    }
}
