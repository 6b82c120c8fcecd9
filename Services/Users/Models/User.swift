import Foundation
import RosterProtocol
import RosterRuntime

/// A user account as stored.
struct User: Sendable {
    var id: EntityID
    var applicationID: EntityID
    var email: String?
    var firstName: String?
    var lastName: String?
    var type: UserType
    var status: UserStatus
    var version: Int64
    var createdAt: Date
    var updatedAt: Date

    /// The full state carried by `user.created` / `user.updated`.
    var snapshot: UserSnapshot {
        UserSnapshot(
            id: self.id, applicationId: self.applicationID, email: self.email, firstName: self.firstName,
            lastName: self.lastName, type: self.type.rawValue, status: self.status.rawValue, createdAt: self.createdAt,
            updatedAt: self.updatedAt)
    }
}

/// The kinds of user (seed 003): who they are to the application.
enum UserType: String, Codable, Sendable, CaseIterable {
    case visitor, lead, user, agent, admin, bot
}

/// Whether a user may use the application.
enum UserStatus: String, Codable, Sendable, CaseIterable {
    case active, inactive, blocked
}
