/// `POST /internal/v1/audience/lookup` on the audience service: the groups, tags and
/// attributes of a page of users, in one call per page (for `?include=` on user lists).
public enum AudienceLookup {
    /// What can be asked for.
    public enum Part: String, Codable, Sendable, CaseIterable {
        case groups, tags, attributes
    }

    public struct Request: Codable, Sendable {
        public var applicationId: EntityID
        /// At most 100 (a page).
        public var userIds: [EntityID]
        public var include: [Part]

        public init(applicationId: EntityID, userIds: [EntityID], include: [Part]) {
            self.applicationId = applicationId
            self.userIds = userIds
            self.include = include
        }
    }

    /// A group as embedded in a user.
    public struct GroupReference: Codable, Sendable, Equatable {
        public var id: EntityID
        public var uid: Int64
        public var name: String

        public init(id: EntityID, uid: Int64, name: String) {
            self.id = id
            self.uid = uid
            self.name = name
        }
    }

    /// A tag as embedded in a user.
    public struct TagReference: Codable, Sendable, Equatable {
        public var id: EntityID
        public var name: String
        public var category: String?

        public init(id: EntityID, name: String, category: String?) {
            self.id = id
            self.name = name
            self.category = category
        }
    }

    /// One user's audience data; the parts not asked for are `nil`.
    public struct Entry: Codable, Sendable, Equatable {
        public var groups: [GroupReference]?
        public var tags: [TagReference]?
        /// Slug → value (the default when the user has none; `null` for encrypted ones).
        public var attributes: [String: JSONValue]?

        public init(groups: [GroupReference]? = nil, tags: [TagReference]? = nil, attributes: [String: JSONValue]? = nil) {
            self.groups = groups
            self.tags = tags
            self.attributes = attributes
        }
    }

    /// An entry for every requested id the audience knows, keyed by the id's text.
    public struct Response: Codable, Sendable, Equatable {
        public var users: [String: Entry]

        public init(users: [String: Entry]) { self.users = users }
    }
}

/// `GET /internal/v1/audience/groups/{id}/member-ids?applicationId=&after=&limit=`: a group's
/// member ids in id order, a page at a time (for broadcasts, which fan out set-wise).
public struct MemberIDPage: Codable, Sendable, Equatable {
    public var ids: [EntityID]
    /// Pass as `after` for the next page; `nil` on the last one.
    public var nextCursor: EntityID?

    public init(ids: [EntityID], nextCursor: EntityID?) {
        self.ids = ids
        self.nextCursor = nextCursor
    }
}

/// `GET /internal/v1/audience/users/search?applicationId=&...`: the page of user ids (and the
/// total) that the public audience search would answer for the same query — list dialects,
/// `status`, `type`, `tags`, `groups` and `attributes.<slug>[.<op>]` — so the users service
/// can filter its lists by audience data and hydrate the page itself.
public struct AudienceSearchPage: Codable, Sendable, Equatable {
    public var ids: [EntityID]
    public var total: Int
    public var nextCursor: String?

    public init(ids: [EntityID], total: Int, nextCursor: String?) {
        self.ids = ids
        self.total = total
        self.nextCursor = nextCursor
    }
}
