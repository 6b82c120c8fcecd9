import Foundation
import RosterProtocol

/// New users and their defaults.
enum UserFactory {
    /// An empty, active user of `type`, not stored yet.
    static func new(applicationID: EntityID, type: UserType) -> User {
        let now = Date()
        return User(
            id: .generate(), applicationID: applicationID, profile: UserProfile(), type: type, status: .active, banReason: nil,
            emailVerified: false, phoneVerified: false, hasPassword: false, hasLoginToken: false, lastLoginAt: nil,
            lastActivityAt: nil, version: 1, createdAt: now, updatedAt: now)
    }

    /// Seed 003: a visitor created without a name is called "User #<random number>".
    static func applyVisitorDefaults(_ user: inout User) {
        guard user.type == .visitor, user.profile.firstName == nil, user.profile.lastName == nil else { return }
        user.profile.firstName = "User"
        user.profile.lastName = "#\(Int.random(in: 10_000...99_999))"
    }

    /// Seed 003: without a type, a user without an email is a visitor, otherwise a user.
    static func defaultType(email: String?) -> UserType {
        email == nil ? .visitor : .user
    }
}
