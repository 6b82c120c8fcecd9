import RosterProtocol
import RosterRuntime

/// The compact users-with-details view (seed 003): per asked-for detail, the users having
/// it as `{"id","value"}`, plus the pagination of the underlying list.
struct UserDetailsView: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var id: EntityID
        var value: String
    }

    var email: [Entry]?
    var phone: [Entry]?
    var username: [Entry]?
    var pagination: PaginationInfo?

    init(users: [UserResponse], details: [UserDetail], pagination: PaginationInfo?) {
        func entries(_ detail: UserDetail, _ value: (UserResponse) -> String?) -> [Entry]? {
            guard details.contains(detail) else { return nil }
            return users.compactMap { user in value(user).map { Entry(id: user.id, value: $0) } }
        }
        self.email = entries(.email, \.email)
        self.phone = entries(.phone, \.phone)
        self.username = entries(.username, \.username)
        self.pagination = pagination
    }

    /// The `details` parameter: a comma-separated list of email, phone, username (required).
    static func details(_ text: String?) throws -> [UserDetail] {
        let names = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let details = names.compactMap(UserDetail.init(rawValue:))
        guard !names.isEmpty, details.count == names.count else {
            let allowed = UserDetail.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem.invalidQuery("details", "must list some of \(allowed)")
        }
        return details
    }
}
