/// The payload of `audience.membership_changed`: users who entered (`added`) or left
/// (`removed`) a dynamic group or a segment. The event's subject is the group or segment;
/// one event carries at most 1,000 users, so a recalculation emits one per thousand changes.
public struct MembershipChanged: Codable, Sendable, Equatable {
    /// `group` or `segment`.
    public var ownerType: String
    public var ownerId: EntityID
    /// `added` or `removed`.
    public var change: String
    public var userIds: [EntityID]

    public init(ownerType: String, ownerId: EntityID, change: String, userIds: [EntityID]) {
        self.ownerType = ownerType
        self.ownerId = ownerId
        self.change = change
        self.userIds = userIds
    }
}
