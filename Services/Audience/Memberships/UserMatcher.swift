import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// How a row of an upload names its user: by id, email or phone.
struct UserKey: Hashable, Sendable {
    enum Field: String, Sendable {
        case userId, email, phone
    }

    var field: Field
    /// Normalised: ids lowercase, emails lowercase, phones `+digits`.
    var value: String

    /// The key of `text`, read as `field` or, without one, as whatever it looks like.
    init?(_ text: String, field: Field?) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch field ?? Self.guess(trimmed) {
        case .userId:
            guard let id = EntityID(trimmed) else { return nil }
            self.field = .userId
            self.value = id.description
        case .email:
            guard trimmed.contains("@"), (3...254).contains(trimmed.count) else { return nil }
            self.field = .email
            self.value = trimmed.lowercased()
        case .phone:
            guard let phone = PhoneNumber.normalize(trimmed) else { return nil }
            self.field = .phone
            self.value = phone
        }
    }

    private static func guess(_ text: String) -> Field {
        if EntityID(text) != nil { return .userId }
        return text.contains("@") ? .email : .phone
    }

    /// The field a CSV header cell names (`id`, `userId`, `user_id`, `email`, `phone`).
    static func headerField(_ cell: String) -> Field? {
        switch cell.trimmingCharacters(in: .whitespaces).lowercased() {
        case "id", "userid", "user_id": .userId
        case "email": .email
        case "phone": .phone
        default: nil
        }
    }
}

/// Finds the users that keys name, set-wise: one indexed query per kind of key and batch.
struct UserMatcher: Sendable {
    func match(_ keys: some Collection<UserKey>, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws
        -> [UserKey: EntityID]
    {
        var found: [UserKey: EntityID] = [:]
        let ids = keys.filter { $0.field == .userId }.compactMap { EntityID($0.value) }
        if !ids.isEmpty {
            let select: SQLFragment = """
                SELECT p.user_id FROM unnest(\(ids)::uuid[]) AS u(id)
                JOIN user_projection p ON p.application_id = \(applicationID) AND p.user_id = u.id
                """
            for try await id in try await connection.query(select.query(), logger: logger).decode(EntityID.self) {
                found[UserKey(id.description, field: .userId)!] = id
            }
        }
        let emails = keys.filter { $0.field == .email }.map(\.value)
        if !emails.isEmpty {
            let select: SQLFragment = """
                SELECT u.email, p.user_id FROM unnest(\(emails)::text[]) AS u(email)
                JOIN user_projection p ON p.application_id = \(applicationID) AND lower(p.email) = u.email
                """
            for try await (email, id) in try await connection.query(select.query(), logger: logger).decode((String, EntityID).self) {
                found[UserKey(email, field: .email)!] = id
            }
        }
        let phones = keys.filter { $0.field == .phone }.map(\.value)
        if !phones.isEmpty {
            let select: SQLFragment = """
                SELECT u.phone, p.user_id FROM unnest(\(phones)::text[]) AS u(phone)
                JOIN user_projection p ON p.application_id = \(applicationID) AND p.phone = u.phone
                """
            for try await (phone, id) in try await connection.query(select.query(), logger: logger).decode((String, EntityID).self) {
                found[UserKey(phone, field: .phone)!] = id
            }
        }
        return found
    }
}
