/// `POST /internal/v1/audience/assignments` on the audience service: tags, static group
/// memberships and attribute values of many users in one call — the `tags` and `groups`
/// columns of a users import; the `addTags`/`removeTags`/`addGroups`/`removeGroups`/`attributes`
/// of a bulk user update.
public enum AudienceAssignment {
    /// Most changes one call may carry.
    public static let maxChanges = 10_000

    /// What changes for one user. Tags are named (a missing tag is created); groups are named
    /// by id, uid or name and must exist and be static; attributes by slug (a value that breaks
    /// its definition's rules refuses the whole call; `null` leaves the value as it is).
    public struct Change: Codable, Sendable, Equatable {
        public var userId: EntityID
        public var addTags: [String]?
        public var removeTags: [String]?
        public var addGroups: [String]?
        public var removeGroups: [String]?
        public var attributes: [String: JSONValue]?

        public init(
            userId: EntityID, addTags: [String]? = nil, removeTags: [String]? = nil, addGroups: [String]? = nil,
            removeGroups: [String]? = nil, attributes: [String: JSONValue]? = nil
        ) {
            self.userId = userId
            self.addTags = addTags
            self.removeTags = removeTags
            self.addGroups = addGroups
            self.removeGroups = removeGroups
            self.attributes = attributes
        }
    }

    public struct Request: Codable, Sendable {
        public var applicationId: EntityID
        public var changes: [Change]

        public init(applicationId: EntityID, changes: [Change]) {
            self.applicationId = applicationId
            self.changes = changes
        }
    }

    /// A group reference that could not be used, and why.
    public struct GroupRefusal: Codable, Sendable, Equatable {
        public var reference: String
        /// `unknown`, `ambiguous` (several groups have the name) or `dynamic`.
        public var reason: String

        public init(reference: String, reason: String) {
            self.reference = reference
            self.reason = reason
        }
    }

    /// What the call did; everything else it was asked was applied.
    public struct Response: Codable, Sendable, Equatable {
        /// Memberships added and removed (tags and groups together).
        public var added: Int
        public var removed: Int
        /// Users audience does not know (the first 100).
        public var unknownUserIds: [EntityID]
        public var createdTags: [String]
        public var refusedGroups: [GroupRefusal]
        /// Attribute values written (users audience does not know are left out).
        public var attributesWritten: Int

        public init(
            added: Int, removed: Int, unknownUserIds: [EntityID], createdTags: [String], refusedGroups: [GroupRefusal],
            attributesWritten: Int
        ) {
            self.added = added
            self.removed = removed
            self.attributesWritten = attributesWritten
            self.unknownUserIds = unknownUserIds
            self.createdTags = createdTags
            self.refusedGroups = refusedGroups
        }

        /// The answer of a call that changed nothing.
        public static let nothing = Response(added: 0, removed: 0, unknownUserIds: [], createdTags: [], refusedGroups: [], attributesWritten: 0)

        /// Adds the answer of another call of the same request (one split in several calls).
        public mutating func add(_ other: Response) {
            self.added += other.added
            self.removed += other.removed
            self.attributesWritten += other.attributesWritten
            self.unknownUserIds = Array(Set(self.unknownUserIds + other.unknownUserIds).sorted { $0.description < $1.description }.prefix(100))
            self.createdTags = Array(Set(self.createdTags + other.createdTags)).sorted()
            let refusals = Dictionary((self.refusedGroups + other.refusedGroups).map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
            self.refusedGroups = refusals.values.sorted { $0.reference < $1.reference }
        }
    }
}
