import Foundation

/// The payload of `user.activity`: a user's engagement counters after an activity was
/// recorded. `activityVersion` grows with every activity of the user, so a consumer keeps the
/// highest it has seen.
public struct UserActivity: Codable, Sendable, Equatable {
    public var messagesSent: Int64
    public var messagesReceived: Int64
    public var visits: Int64
    public var engagementScore: Double
    public var lastActivityAt: Date
    public var activityVersion: Int64

    public init(
        messagesSent: Int64, messagesReceived: Int64, visits: Int64, engagementScore: Double, lastActivityAt: Date, activityVersion: Int64
    ) {
        self.messagesSent = messagesSent
        self.messagesReceived = messagesReceived
        self.visits = visits
        self.engagementScore = engagementScore
        self.lastActivityAt = lastActivityAt
        self.activityVersion = activityVersion
    }
}
