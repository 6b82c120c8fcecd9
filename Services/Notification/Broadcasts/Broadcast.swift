import Foundation
import RosterProtocol
import RosterRuntime

/// A send to one user, a list, a group, a segment or everyone (seed 004 "send notification",
/// seed 000 "group broadcast"), and how far its fan-out has come.
struct Broadcast: Encodable, Sendable, KeysetPageable {
    /// Who a broadcast goes to.
    enum TargetKind: String, Codable, Sendable {
        case users, all, group, segment
    }

    /// The target as shown: its kind, the group or segment, or how many users were listed.
    struct Target: Encodable, Sendable {
        var kind: TargetKind
        var id: EntityID?
        var userCount: Int?
    }

    /// `queued` until the fan-out starts, `running`, then `completed` or `failed` (see `error`).
    enum Status: String, Codable, Sendable {
        case queued, running, completed, failed
    }

    var id: EntityID
    var type: String
    var title: String
    var message: String
    var data: JSONValue
    var channels: [String]
    var target: Target
    var status: Status
    /// Users reached so far: delivered, skipped by their settings, or unknown.
    var recipients: Int64
    /// In-app notifications written.
    var delivered: Int64
    /// Users no channel of the send reaches (their settings turned the type off there, or it
    /// cannot reach them: no email address, no webhook endpoint).
    var skipped: Int64
    /// Listed ids that are no user of the application (or were deleted).
    var unknown: Int64
    var error: String?
    var createdAt: Date
    var startedAt: Date?
    var completedAt: Date?
    /// Email and webhook deliveries queued (see `/api/v1/notifications/deliveries?broadcastId=`).
    var queued: Int64

    func sortValue(for field: String) -> String? {
        field == "createdAt" ? RosterJSON.formatTimestamp(self.createdAt) : nil
    }
}
