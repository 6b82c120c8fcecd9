import Foundation
import RosterProtocol
import RosterRuntime

/// `POST /api/v1/users`.
struct CreateUserRequest: Decodable, Sendable {
    var email: String?
    var firstName: String?
    var lastName: String?
    var type: String?
    var status: String?
}

/// `PATCH /api/v1/users/{id}`: only the fields sent change; `null` clears a clearable field.
struct UpdateUserRequest: Decodable, Sendable {
    var email: PatchField<String>
    var firstName: PatchField<String>
    var lastName: PatchField<String>
    var type: PatchField<String>
    var status: PatchField<String>

    enum CodingKeys: String, CodingKey {
        case email, firstName, lastName, type, status
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.email = try container.decodePatch(String.self, forKey: .email)
        self.firstName = try container.decodePatch(String.self, forKey: .firstName)
        self.lastName = try container.decodePatch(String.self, forKey: .lastName)
        self.type = try container.decodePatch(String.self, forKey: .type)
        self.status = try container.decodePatch(String.self, forKey: .status)
    }
}

/// A user as the API shows it.
struct UserResponse: Encodable, Sendable, KeysetPageable {
    var id: EntityID
    var email: String?
    var firstName: String?
    var lastName: String?
    var type: String
    var status: String
    var createdAt: Date
    var updatedAt: Date

    init(_ user: User) {
        self.id = user.id
        self.email = user.email
        self.firstName = user.firstName
        self.lastName = user.lastName
        self.type = user.type.rawValue
        self.status = user.status.rawValue
        self.createdAt = user.createdAt
        self.updatedAt = user.updatedAt
    }

    func sortValue(for field: String) -> String? {
        switch field {
        case "createdAt": RosterJSON.formatTimestamp(self.createdAt)
        case "updatedAt": RosterJSON.formatTimestamp(self.updatedAt)
        default: nil
        }
    }
}
