import RosterProtocol
import RosterRuntime

/// What `GET /api/v1/users` offers: its sorts, filters and search (README, "Listing and
/// searching users"). Every sort and every filter has an index (migration 0006).
enum UserListSpec {
    /// Filters the users schema answers itself.
    static let ownFilters: [String: ListQuerySpec.ValueType] = [
        "status": .choice(UserStatus.allCases.map(\.rawValue)),
        "type": .choices(UserType.allCases.map(\.rawValue)),
        "ids": .ids,
        "createdAfter": .timestamp,
        "createdBefore": .timestamp,
        "afterId": .id,
        "hasDetails": .choices(UserDetail.allCases.map(\.rawValue)),
    ]

    /// Filters on audience data, answered by the audience service's internal search;
    /// `attributes.<slug>[.<operator>]` parameters join them.
    static let audienceFilters: [String: ListQuerySpec.ValueType] = [
        "groups": .ids, "tags": .ids, "segments": .ids, "segment": .id,
    ]

    /// Filters that can be combined with audience filters (audience's search has them too).
    static let sharedFilters: Set<String> = ["status", "type"]
    /// Sorts that can be combined with audience filters.
    static let sharedSorts: Set<String> = ["createdAt", "updatedAt"]

    static let spec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "updatedAt": .init(column: "updated_at", type: .timestamp),
            "lastActivityAt": .init(column: "last_activity_at", type: .timestamp, nullable: true),
            "lastLoginAt": .init(column: "last_login_at", type: .timestamp, nullable: true),
            "email": .lowercased("email", nullable: true),
            "username": .lowercased("username", nullable: true),
            "firstName": .lowercased("first_name", nullable: true),
            "lastName": .lowercased("last_name", nullable: true),
            "department": .lowercased("department", nullable: true),
            "type": .init(column: "type", type: .string),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ownFilters.merging(audienceFilters) { first, _ in first },
        searchable: true,
        otherParameters: ["include"])

    /// The export (`GET /users/export`): the own filters and search; order and paging are its own.
    static let exportSpec: ListQuerySpec = {
        var spec = Self.spec
        spec.filters = Self.ownFilters
        spec.otherParameters = ["format", "fields"]
        return spec
    }()

    /// The compact details view (`GET /users/details`): larger pages, the own filters.
    static let detailsSpec: ListQuerySpec = {
        var spec = Self.spec
        spec.filters = Self.ownFilters
        spec.maxLimit = 1_000
        spec.defaultLimit = 1_000
        spec.otherParameters = ["details"]
        return spec
    }()
}

/// A contact detail a user may have (`hasDetails=`, the details view).
enum UserDetail: String, CaseIterable, Sendable {
    case email, phone, username
}
