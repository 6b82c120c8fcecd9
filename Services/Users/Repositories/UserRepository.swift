import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Users: every change writes its event to the outbox in the same transaction.
struct UserRepository: Sendable {
    let client: PostgresClient
    let outbox: Outbox

    /// The columns `user(from:)` decodes, in its order (also the prepared `UserByID`).
    static let columnList = """
        id, application_id, email, phone, username, first_name, last_name, profile_image, language, timezone, country, city, \
        department, sex, to_char(birth_date, 'YYYY-MM-DD'), type, status, ban_reason, email_verified, phone_verified, \
        password_hash IS NOT NULL, login_token_hash IS NOT NULL, last_login_at, last_activity_at, version, created_at, updated_at
        """
    static let columns = SQLFragment(stringLiteral: columnList)

    /// The fields a lookup by field may use (`GET /users/by`).
    enum LookupField: String, CaseIterable {
        case email, phone, username, firstName, lastName
    }

    /// Creates a user; `passwordHash` is already a bcrypt hash. `also` runs in the same
    /// transaction with the created user (a registration queues its email code there).
    func create(
        _ user: User, passwordHash: String?, logger: Logger, also: (@Sendable (User, PostgresConnection) async throws -> Void)? = nil
    ) async throws -> User {
        try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                let created = try await self.insert(user, passwordHash: passwordHash, on: connection, logger: logger)
                try await also?(created, connection)
                return created
            }
        }
    }

    /// The application's bot (seed 003): the oldest user of type `bot`, made on first ask.
    /// Concurrent first asks take turns on an advisory lock, so one bot is made.
    func bot(applicationID: EntityID, logger: Logger) async throws -> User {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM users WHERE application_id = \(applicationID) AND type = 'bot' ORDER BY created_at, id LIMIT 1
            """
        if let found = try await Self.decode(self.client.query(select.query(), logger: logger)).first { return found }
        return try await self.client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("roster.bot:\(applicationID)")))", logger: logger)
            if let found = try await Self.decode(connection.query(select.query(), logger: logger)).first { return found }
            var bot = UserFactory.new(applicationID: applicationID, type: .bot)
            bot.profile.firstName = "Bot"
            return try await self.insert(bot, passwordHash: nil, on: connection, logger: logger)
        }
    }

    /// Inserts a user and its `user.created` in the caller's transaction.
    private func insert(_ user: User, passwordHash: String?, on connection: PostgresConnection, logger: Logger) async throws -> User {
        let profile = user.profile
        let insert: SQLFragment = """
            INSERT INTO users (id, application_id, email, phone, username, first_name, last_name, profile_image, language,
                timezone, country, city, department, sex, birth_date, type, status, email_verified, phone_verified, password_hash)
            VALUES (\(user.id), \(user.applicationID), \(profile.email), \(profile.phone), \(profile.username),
                \(profile.firstName), \(profile.lastName), \(profile.profileImage), \(profile.language), \(profile.timezone),
                \(profile.country), \(profile.city), \(profile.department), \(profile.sex), \(profile.birthDate)::date,
                \(user.type.rawValue), \(user.status.rawValue), \(user.emailVerified), \(user.phoneVerified), \(passwordHash))
            RETURNING \(Self.columns)
            """
        let created = try await Self.decode(connection.query(insert.query(), logger: logger))[0]
        try await self.emit(.userCreated, created, on: connection, logger: logger)
        return created
    }

    func find(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> User? {
        do {
            return try await self.client.execute(UserByID(applicationID: applicationID, id: id), logger: logger).first(where: { _ in true })
        } catch {
            // PostgresNIO keeps a failed preparation for the life of the connection (say, one
            // that timed out behind a migration's lock); the composed query still works there.
            return try await Self.decode(self.client.query(try UserByID.query(id, applicationID: applicationID), logger: logger)).first
        }
    }

    /// The first user (oldest) whose field equals `value` (case-insensitively for text fields).
    func find(by field: LookupField, value: String, applicationID: EntityID, logger: Logger) async throws -> User? {
        let condition: SQLFragment =
            switch field {
            case .email: "lower(email) = lower(\(value))"
            case .phone: "phone = \(value)"
            case .username: "lower(username) = lower(\(value))"
            case .firstName: "lower(first_name) = lower(\(value))"
            case .lastName: "lower(last_name) = lower(\(value))"
            }
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM users WHERE application_id = \(applicationID) AND \(condition)
            ORDER BY created_at, id LIMIT 1
            """
        return try await Self.decode(self.client.query(select.query(), logger: logger)).first
    }

    /// Applies `change` under a row lock; `nil` when there is no such user. A new password
    /// hash, when given, is stored in the same transaction.
    func update(
        _ id: EntityID, applicationID: EntityID, passwordHash: String? = nil, logger: Logger,
        change: @Sendable (inout User) throws -> Void
    ) async throws -> User? {
        try await self.translatingConflicts {
            try await self.client.withTransaction(logger: logger) { connection in
                try await self.update(id, applicationID: applicationID, passwordHash: passwordHash, on: connection, logger: logger, change: change)
            }
        }
    }

    /// `update` inside the caller's transaction.
    func update(
        _ id: EntityID, applicationID: EntityID, passwordHash: String? = nil, on connection: PostgresConnection, logger: Logger,
        change: @Sendable (inout User) throws -> Void
    ) async throws -> User? {
        let select: SQLFragment = """
            SELECT \(Self.columns) FROM users WHERE application_id = \(applicationID) AND id = \(id) FOR UPDATE
            """
        guard var user = try await Self.decode(connection.query(select.query(), logger: logger)).first else { return nil }
        let before = user
        try change(&user)
        if let passwordHash {
            try await connection.query(
                "UPDATE users SET password_hash = \(passwordHash) WHERE application_id = \(applicationID) AND id = \(id)", logger: logger)
        }
        guard user.snapshot != before.snapshot || user.profile != before.profile || user.banReason != before.banReason else {
            return passwordHash == nil ? user : try await self.find(id, applicationID: applicationID, on: connection, logger: logger)
        }
        let profile = user.profile
        let update: SQLFragment = """
            UPDATE users SET email = \(profile.email), phone = \(profile.phone), username = \(profile.username),
                first_name = \(profile.firstName), last_name = \(profile.lastName), profile_image = \(profile.profileImage),
                language = \(profile.language), timezone = \(profile.timezone), country = \(profile.country), city = \(profile.city),
                department = \(profile.department), sex = \(profile.sex), birth_date = \(profile.birthDate)::date,
                type = \(user.type.rawValue), status = \(user.status.rawValue), ban_reason = \(user.banReason),
                banned_at = CASE WHEN \(user.status.rawValue) = 'blocked' THEN coalesce(banned_at, now()) END,
                email_verified = \(user.emailVerified), phone_verified = \(user.phoneVerified),
                last_login_at = \(user.lastLoginAt), last_activity_at = \(user.lastActivityAt),
                version = version + 1, updated_at = now_ms()
            WHERE application_id = \(applicationID) AND id = \(id)
            RETURNING \(Self.columns)
            """
        let updated = try await Self.decode(connection.query(update.query(), logger: logger))[0]
        // Fields outside the snapshot (profile image, ban reason) change the row, not the others' copies.
        if user.snapshot != before.snapshot {
            try await self.emit(.userUpdated, updated, on: connection, logger: logger)
        }
        return updated
    }

    /// `find` inside the caller's transaction.
    /// In a transaction the query is not prepared: a preparation that failed there (in an
    /// aborted transaction, say) would be remembered for the connection's life.
    func find(_ id: EntityID, applicationID: EntityID, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        try await Self.decode(connection.query(try UserByID.query(id, applicationID: applicationID), logger: logger)).first
    }

    /// Deletes the user and emits `user.deleted`; `false` when there was no such user.
    func delete(_ id: EntityID, applicationID: EntityID, logger: Logger) async throws -> Bool {
        try await self.client.withTransaction(logger: logger) { connection in
            let delete: SQLFragment = """
                DELETE FROM users WHERE application_id = \(applicationID) AND id = \(id) RETURNING version
                """
            guard let version = try await connection.query(delete.query(), logger: logger).decode(Int64.self).first(where: { _ in true })
            else { return false }
            let event = try self.outbox.event(
                .userDeleted, applicationID: applicationID, subjectID: id, version: version + 1,
                payload: UserDeletion(id: id, applicationId: applicationID))
            try await self.outbox.append([event], on: connection, logger: logger)
            return true
        }
    }

    /// The user who signs in with `identifier` (email or username) and their password hash.
    func credentials(identifier: String, applicationID: EntityID, logger: Logger) async throws -> (User, String?)? {
        let select: SQLFragment = """
            SELECT \(Self.columns), password_hash FROM users
            WHERE application_id = \(applicationID) AND (lower(email) = lower(\(identifier)) OR lower(username) = lower(\(identifier)))
            ORDER BY created_at LIMIT 1
            """
        for try await row in try await self.client.query(select.query(), logger: logger) {
            return (try Self.user(from: row), try row.makeRandomAccess()["password_hash"].decode(String?.self))
        }
        return nil
    }

    /// The user and the hash of their seed-003 login token.
    func loginToken(of id: EntityID, applicationID: EntityID, logger: Logger) async throws -> (User, Data?)? {
        let select: SQLFragment = """
            SELECT \(Self.columns), login_token_hash FROM users WHERE application_id = \(applicationID) AND id = \(id)
            """
        for try await row in try await self.client.query(select.query(), logger: logger) {
            return (try Self.user(from: row), try row.makeRandomAccess()["login_token_hash"].decode(Data?.self))
        }
        return nil
    }

    /// Stores the hash of a new login token; `false` when there is no such user.
    func setLoginToken(_ id: EntityID, applicationID: EntityID, hash: Data, logger: Logger) async throws -> Bool {
        let update: SQLFragment = """
            UPDATE users SET login_token_hash = \(hash) WHERE application_id = \(applicationID) AND id = \(id) RETURNING id
            """
        return !(try await self.client.query(update.query(), logger: logger).collect().isEmpty)
    }

    /// The password hash of a user (for a password change).
    func passwordHash(of id: EntityID, applicationID: EntityID, logger: Logger) async throws -> String? {
        let select: SQLFragment = "SELECT password_hash FROM users WHERE application_id = \(applicationID) AND id = \(id)"
        return try await self.client.query(select.query(), logger: logger).decode(String?.self).first(where: { _ in true }) ?? nil
    }

    /// Whether some user of the application has this email (case-insensitively), and who.
    func owner(ofEmail email: String, applicationID: EntityID, logger: Logger) async throws -> EntityID? {
        let select: SQLFragment = "SELECT id FROM users WHERE application_id = \(applicationID) AND lower(email) = lower(\(email))"
        return try await self.client.query(select.query(), logger: logger).decode(EntityID.self).first(where: { _ in true })
    }

    private func emit(_ type: EventType, _ user: User, on connection: PostgresConnection, logger: Logger) async throws {
        let event = try self.outbox.event(type, applicationID: user.applicationID, subjectID: user.id, version: user.version, payload: user.snapshot)
        try await self.outbox.append([event], on: connection, logger: logger)
    }

    /// Unique violations become 409 problems naming the field.
    private func translatingConflicts<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "users_email_unique") {
            throw Problem.conflict("A user with this email already exists.", code: "duplicate_email")
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "users_username_unique") {
            throw Problem.conflict("A user with this username already exists.", code: "duplicate_username")
        } catch where DatabaseErrorMapping.isUniqueViolation(error, constraint: "users_phone_unique") {
            throw Problem.conflict("A user with this phone number already exists.", code: "duplicate_phone")
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [User] {
        var users: [User] = []
        for try await row in rows { users.append(try Self.user(from: row)) }
        return users
    }

    static func user(from row: PostgresRow) throws -> User {
        let (
            id, applicationID, email, phone, username, firstName, lastName, profileImage, language, timezone, country, city,
            department, sex, birthDate, type, status, banReason, emailVerified, phoneVerified, hasPassword, hasLoginToken,
            lastLoginAt, lastActivityAt, version, createdAt, updatedAt
        ) = try row.decode(
            (
                EntityID, EntityID, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?,
                String?, String?, String?, String, String, String?, Bool, Bool, Bool, Bool, Date?, Date?, Int64, Date, Date
            ).self)
        return User(
            id: id, applicationID: applicationID,
            profile: UserProfile(
                email: email, phone: phone, username: username, firstName: firstName, lastName: lastName, profileImage: profileImage,
                language: language, timezone: timezone, country: country, city: city, department: department, sex: sex,
                birthDate: birthDate),
            type: UserType(rawValue: type) ?? .user, status: UserStatus(rawValue: status) ?? .active, banReason: banReason,
            emailVerified: emailVerified, phoneVerified: phoneVerified, hasPassword: hasPassword, hasLoginToken: hasLoginToken,
            lastLoginAt: lastLoginAt, lastActivityAt: lastActivityAt, version: version, createdAt: createdAt, updatedAt: updatedAt)
    }
}
