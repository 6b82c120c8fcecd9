import Foundation
import RosterProtocol
import RosterRuntime

/// A user account as stored (without its secrets: password and login token hashes stay in
/// the database and are handled by dedicated repository calls).
struct User: Sendable, Equatable {
    var id: EntityID
    var applicationID: EntityID
    var profile: UserProfile
    var type: UserType
    var status: UserStatus
    var banReason: String?
    var emailVerified: Bool
    var phoneVerified: Bool
    var hasPassword: Bool
    var hasLoginToken: Bool
    var lastLoginAt: Date?
    var lastActivityAt: Date?
    var version: Int64
    var createdAt: Date
    var updatedAt: Date

    /// The full state carried by `user.created` / `user.updated`.
    var snapshot: UserSnapshot {
        UserSnapshot(
            id: self.id, applicationId: self.applicationID, email: self.profile.email, phone: self.profile.phone,
            username: self.profile.username, firstName: self.profile.firstName, lastName: self.profile.lastName,
            type: self.type.rawValue, status: self.status.rawValue, language: self.profile.language, timezone: self.profile.timezone,
            country: self.profile.country, city: self.profile.city, department: self.profile.department, sex: self.profile.sex,
            birthDate: self.profile.birthDate, emailVerified: self.emailVerified, phoneVerified: self.phoneVerified,
            lastLoginAt: self.lastLoginAt, lastActivityAt: self.lastActivityAt, createdAt: self.createdAt, updatedAt: self.updatedAt)
    }

}

/// The fields a user or an administrator edits.
struct UserProfile: Sendable, Equatable {
    var email: String?
    var phone: String?
    var username: String?
    var firstName: String?
    var lastName: String?
    var profileImage: String?
    var language: String?
    var timezone: String?
    var country: String?
    var city: String?
    var department: String?
    var sex: String?
    /// `YYYY-MM-DD`.
    var birthDate: String?
}

/// The kinds of user (seed 003): who they are to the application.
enum UserType: String, Codable, Sendable, CaseIterable {
    case visitor, lead, user, agent, admin, bot
}

/// Whether a user may use the application; `blocked` is a ban (with a reason).
enum UserStatus: String, Codable, Sendable, CaseIterable {
    case active, inactive, blocked
}
