import Foundation
import RosterProtocol
import RosterRuntime

/// One sign-in of a user: its refresh tokens form a family that rotates on every use.
struct Session: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var userId: EntityID
    var createdAt: Date
    var lastUsedAt: Date
    var expiresAt: Date
    var revokedAt: Date?
    var revokedReason: String?
    var userAgent: String?
    var ip: String?
    /// Whether it is a browser (cookie) session.
    var cookie: Bool
    /// Whether it is the session of the request that listed it.
    var current: Bool = false


    func sortValue(for field: String) -> String? {
        field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
    }
}
