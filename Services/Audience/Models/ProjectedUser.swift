import Foundation
import RosterProtocol

/// A user as audience knows it: the snapshot of the last event applied, its version, and
/// when it was applied. Encoded flat (the snapshot's fields, then `version`, `projectedAt`).
struct ProjectedUser: Encodable, Sendable {
    var snapshot: UserSnapshot
    var version: Int64
    var projectedAt: Date

    var id: EntityID { self.snapshot.id }

    enum CodingKeys: String, CodingKey { case version, projectedAt }

    func encode(to encoder: any Encoder) throws {
        try self.snapshot.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.projectedAt, forKey: .projectedAt)
    }
}
