import Foundation
import RosterProtocol

/// A user as audience knows it, with the version of the last event applied.
struct ProjectedUser: Encodable, Sendable {
    var id: EntityID
    var email: String?
    var phone: String?
    var username: String?
    var firstName: String?
    var lastName: String?
    var type: String
    var status: String
    var language: String?
    var timezone: String?
    var country: String?
    var city: String?
    var department: String?
    var sex: String?
    var birthDate: String?
    var emailVerified: Bool
    var phoneVerified: Bool
    var lastLoginAt: Date?
    var lastActivityAt: Date?
    var version: Int64
    var createdAt: Date
    var updatedAt: Date
    var projectedAt: Date
}
