import RosterProtocol

/// What the fan-out job needs of a broadcast: its message, rules, target and cursor.
struct BroadcastState: Sendable {
    var id: EntityID
    var applicationID: EntityID
    var typeID: EntityID?
    var typeCode: String
    var title: String
    var message: String
    var data: JSONValue
    var channels: [Channel]
    var critical: Bool
    var defaultEnabled: Bool
    var targetKind: Broadcast.TargetKind
    var targetID: EntityID?
    var status: Broadcast.Status
    var cursor: EntityID?
}
