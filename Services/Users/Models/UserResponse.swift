import Foundation
import RosterProtocol
import RosterRuntime

/// A user as the API shows it; secrets never appear (only whether they are set).
struct UserResponse: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var email: String?
    var phone: String?
    var username: String?
    var firstName: String?
    var lastName: String?
    var profileImage: String?
    var type: String
    var status: String
    var banReason: String?
    var language: String?
    var timezone: String?
    var country: String?
    var city: String?
    var department: String?
    var sex: String?
    var birthDate: String?
    var emailVerified: Bool
    var phoneVerified: Bool
    var hasPassword: Bool
    var hasLoginToken: Bool
    var lastLoginAt: Date?
    var lastActivityAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ user: User) {
        self.id = user.id
        self.email = user.profile.email
        self.phone = user.profile.phone
        self.username = user.profile.username
        self.firstName = user.profile.firstName
        self.lastName = user.profile.lastName
        self.profileImage = user.profile.profileImage
        self.type = user.type.rawValue
        self.status = user.status.rawValue
        self.banReason = user.banReason
        self.language = user.profile.language
        self.timezone = user.profile.timezone
        self.country = user.profile.country
        self.city = user.profile.city
        self.department = user.profile.department
        self.sex = user.profile.sex
        self.birthDate = user.profile.birthDate
        self.emailVerified = user.emailVerified
        self.phoneVerified = user.phoneVerified
        self.hasPassword = user.hasPassword
        self.hasLoginToken = user.hasLoginToken
        self.lastLoginAt = user.lastLoginAt
        self.lastActivityAt = user.lastActivityAt
        self.createdAt = user.createdAt
        self.updatedAt = user.updatedAt
    }

    func sortValue(for field: String) -> String? {
        switch field {
        case "createdAt": RosterJSON.formatPreciseTimestamp(self.createdAt)
        case "updatedAt": RosterJSON.formatPreciseTimestamp(self.updatedAt)
        case "lastActivityAt": self.lastActivityAt.map(RosterJSON.formatPreciseTimestamp)
        case "lastLoginAt": self.lastLoginAt.map(RosterJSON.formatPreciseTimestamp)
        // Text sorts compare `lower(...)`; the cursor keeps the value as it is and PostgreSQL lower-cases it.
        case "email": self.email
        case "username": self.username
        case "firstName": self.firstName
        case "lastName": self.lastName
        case "department": self.department
        case "type": self.type
        default: nil
        }
    }
}
