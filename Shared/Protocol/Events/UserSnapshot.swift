import Foundation

/// The full state of a user as carried by `user.created` and `user.updated`.
///
/// Subscribers keep their own projection from these snapshots; a snapshot always carries
/// every field, so applying the newest one is enough (no field-by-field merge).
public struct UserSnapshot: Codable, Sendable, Equatable {
    public var id: EntityID
    public var applicationId: EntityID
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var type: String
    public var status: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: EntityID, applicationId: EntityID, email: String?, firstName: String?, lastName: String?,
        type: String, status: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.applicationId = applicationId
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.type = type
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The payload of `user.deleted`: every service erases what it holds about the user.
public struct UserDeletion: Codable, Sendable, Equatable {
    public var id: EntityID
    public var applicationId: EntityID

    public init(id: EntityID, applicationId: EntityID) {
        self.id = id
        self.applicationId = applicationId
    }
}
