import Foundation

/// The full state of a user as carried by `user.created` and `user.updated`.
///
/// Subscribers keep their own projection from these snapshots; a snapshot always carries
/// every field, so applying the newest one is enough (no field-by-field merge). Secrets
/// (password, login token) are never part of it.
public struct UserSnapshot: Codable, Sendable, Equatable {
    public var id: EntityID
    public var applicationId: EntityID
    public var email: String?
    public var phone: String?
    public var username: String?
    public var firstName: String?
    public var lastName: String?
    public var type: String
    public var status: String
    public var language: String?
    public var timezone: String?
    public var country: String?
    public var city: String?
    public var department: String?
    public var sex: String?
    /// `YYYY-MM-DD`.
    public var birthDate: String?
    public var emailVerified: Bool
    public var phoneVerified: Bool
    public var lastLoginAt: Date?
    public var lastActivityAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: EntityID, applicationId: EntityID, email: String? = nil, phone: String? = nil, username: String? = nil,
        firstName: String? = nil, lastName: String? = nil, type: String, status: String, language: String? = nil,
        timezone: String? = nil, country: String? = nil, city: String? = nil, department: String? = nil, sex: String? = nil,
        birthDate: String? = nil, emailVerified: Bool = false, phoneVerified: Bool = false, lastLoginAt: Date? = nil,
        lastActivityAt: Date? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.applicationId = applicationId
        self.email = email
        self.phone = phone
        self.username = username
        self.firstName = firstName
        self.lastName = lastName
        self.type = type
        self.status = status
        self.language = language
        self.timezone = timezone
        self.country = country
        self.city = city
        self.department = department
        self.sex = sex
        self.birthDate = birthDate
        self.emailVerified = emailVerified
        self.phoneVerified = phoneVerified
        self.lastLoginAt = lastLoginAt
        self.lastActivityAt = lastActivityAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(EntityID.self, forKey: .id)
        self.applicationId = try container.decode(EntityID.self, forKey: .applicationId)
        self.email = try container.decodeIfPresent(String.self, forKey: .email)
        self.phone = try container.decodeIfPresent(String.self, forKey: .phone)
        self.username = try container.decodeIfPresent(String.self, forKey: .username)
        self.firstName = try container.decodeIfPresent(String.self, forKey: .firstName)
        self.lastName = try container.decodeIfPresent(String.self, forKey: .lastName)
        self.type = try container.decode(String.self, forKey: .type)
        self.status = try container.decode(String.self, forKey: .status)
        self.language = try container.decodeIfPresent(String.self, forKey: .language)
        self.timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        self.country = try container.decodeIfPresent(String.self, forKey: .country)
        self.city = try container.decodeIfPresent(String.self, forKey: .city)
        self.department = try container.decodeIfPresent(String.self, forKey: .department)
        self.sex = try container.decodeIfPresent(String.self, forKey: .sex)
        self.birthDate = try container.decodeIfPresent(String.self, forKey: .birthDate)
        // Snapshots written before these fields existed lack them.
        self.emailVerified = try container.decodeIfPresent(Bool.self, forKey: .emailVerified) ?? false
        self.phoneVerified = try container.decodeIfPresent(Bool.self, forKey: .phoneVerified) ?? false
        self.lastLoginAt = try container.decodeIfPresent(Date.self, forKey: .lastLoginAt)
        self.lastActivityAt = try container.decodeIfPresent(Date.self, forKey: .lastActivityAt)
        self.createdAt = try container.decode(Date.self, forKey: .createdAt)
        self.updatedAt = try container.decode(Date.self, forKey: .updatedAt)
    }
}

/// The payload of `user.deleted`: every service erases what it holds about the user.
public struct UserDeletion: Codable, Sendable, Equatable {
    public var id: EntityID
    public var applicationId: EntityID

    public init(id: EntityID, applicationId: EntityID) {
        self.id = id
        self.applicationId = applicationId
    }
}
