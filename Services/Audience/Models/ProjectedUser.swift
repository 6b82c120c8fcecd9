import Foundation
import RosterProtocol

/// A user as audience knows it, with the version of the last event applied.
struct ProjectedUser: Encodable, Sendable {
    var id: EntityID
    var email: String?
    var firstName: String?
    var lastName: String?
    var type: String
    var status: String
    var version: Int64
    var createdAt: Date
    var updatedAt: Date
    var projectedAt: Date
}
