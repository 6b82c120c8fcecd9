import Foundation
import RosterProtocol
import RosterRuntime

/// The body of `POST /users`, `PUT /users/{id}`, `PATCH /users/{id}` and `PATCH /me`.
///
/// Every field is tri-state (absent, null, value): a create takes values, a PATCH changes
/// what is present (null clears), a PUT replaces everything (absent clears).
struct UserInput: Decodable, Sendable {
    var email: PatchField<String> = .absent
    var phone: PatchField<String> = .absent
    var username: PatchField<String> = .absent
    var firstName: PatchField<String> = .absent
    var lastName: PatchField<String> = .absent
    var profileImage: PatchField<String> = .absent
    var language: PatchField<String> = .absent
    var timezone: PatchField<String> = .absent
    var country: PatchField<String> = .absent
    var city: PatchField<String> = .absent
    var department: PatchField<String> = .absent
    var sex: PatchField<String> = .absent
    var birthDate: PatchField<String> = .absent
    var type: PatchField<String> = .absent
    var status: PatchField<String> = .absent
    var emailVerified: PatchField<Bool> = .absent
    var phoneVerified: PatchField<Bool> = .absent
    var password: PatchField<String> = .absent

    enum CodingKeys: String, CodingKey {
        case email, phone, username, firstName, lastName, profileImage, language, timezone, country, city, department, sex,
            birthDate, type, status, emailVerified, phoneVerified, password
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.email = try container.decodePatch(String.self, forKey: .email)
        self.phone = try container.decodePatch(String.self, forKey: .phone)
        self.username = try container.decodePatch(String.self, forKey: .username)
        self.firstName = try container.decodePatch(String.self, forKey: .firstName)
        self.lastName = try container.decodePatch(String.self, forKey: .lastName)
        self.profileImage = try container.decodePatch(String.self, forKey: .profileImage)
        self.language = try container.decodePatch(String.self, forKey: .language)
        self.timezone = try container.decodePatch(String.self, forKey: .timezone)
        self.country = try container.decodePatch(String.self, forKey: .country)
        self.city = try container.decodePatch(String.self, forKey: .city)
        self.department = try container.decodePatch(String.self, forKey: .department)
        self.sex = try container.decodePatch(String.self, forKey: .sex)
        self.birthDate = try container.decodePatch(String.self, forKey: .birthDate)
        self.type = try container.decodePatch(String.self, forKey: .type)
        self.status = try container.decodePatch(String.self, forKey: .status)
        self.emailVerified = try container.decodePatch(Bool.self, forKey: .emailVerified)
        self.phoneVerified = try container.decodePatch(Bool.self, forKey: .phoneVerified)
        self.password = try container.decodePatch(String.self, forKey: .password)
    }

    /// The fields a user may change on themselves (`PATCH /me`); the rest are administrators'.
    static let selfEditable: Set<CodingKeys> = [
        .email, .phone, .username, .firstName, .lastName, .profileImage, .language, .timezone, .country, .city, .sex, .birthDate,
    ]

    /// Fields present in the body that are not in `allowed`.
    func present(outside allowed: Set<CodingKeys>) -> [CodingKeys] {
        let present: [(CodingKeys, Bool)] = [
            (.email, self.email.isPresent), (.phone, self.phone.isPresent), (.username, self.username.isPresent),
            (.firstName, self.firstName.isPresent), (.lastName, self.lastName.isPresent),
            (.profileImage, self.profileImage.isPresent), (.language, self.language.isPresent), (.timezone, self.timezone.isPresent),
            (.country, self.country.isPresent), (.city, self.city.isPresent), (.department, self.department.isPresent),
            (.sex, self.sex.isPresent), (.birthDate, self.birthDate.isPresent), (.type, self.type.isPresent),
            (.status, self.status.isPresent), (.emailVerified, self.emailVerified.isPresent),
            (.phoneVerified, self.phoneVerified.isPresent), (.password, self.password.isPresent),
        ]
        return present.filter { $0.1 && !allowed.contains($0.0) }.map(\.0)
    }
}

/// How a `UserInput` applies to a stored user.
enum UserInputMode {
    /// Absent fields keep their value, null clears.
    case patch
    /// Absent and null profile fields are cleared; an absent type falls back to `user`; the
    /// status and the verified flags change only when sent.
    case replace
}

/// A `UserInput` whose values passed every rule; `nil` fields are to be cleared or left,
/// depending on the mode.
struct ValidatedUserInput: Sendable {
    var input: UserInput
    var profile: UserProfile
    var type: UserType?
    var status: UserStatus?
    var password: String?

    /// Checks every present value; all failures are reported together as one 422.
    init(_ input: UserInput) throws {
        var errors: [Problem.FieldError] = []
        var profile = UserProfile()
        profile.email = UserRules.email(input.email.value, errors: &errors)
        profile.phone = UserRules.phone(input.phone.value, errors: &errors)
        profile.username = UserRules.username(input.username.value, errors: &errors)
        profile.firstName = UserRules.text(input.firstName.value, field: "firstName", max: 100, errors: &errors)
        profile.lastName = UserRules.text(input.lastName.value, field: "lastName", max: 100, errors: &errors)
        profile.profileImage = UserRules.url(input.profileImage.value, field: "profileImage", errors: &errors)
        profile.language = UserRules.language(input.language.value, errors: &errors)
        profile.timezone = UserRules.timezone(input.timezone.value, errors: &errors)
        profile.country = UserRules.text(input.country.value, field: "country", max: 100, errors: &errors)
        profile.city = UserRules.text(input.city.value, field: "city", max: 100, errors: &errors)
        profile.department = UserRules.text(input.department.value, field: "department", max: 100, errors: &errors)
        profile.sex = UserRules.choice(input.sex.value, field: "sex", allowed: ["male", "female", "other"], code: "invalid_sex", errors: &errors)
        profile.birthDate = UserRules.birthDate(input.birthDate.value, errors: &errors)
        let type = UserRules.choice(
            input.type.value, field: "type", allowed: UserType.allCases.map(\.rawValue), code: "invalid_user_type", errors: &errors)
        let status = UserRules.choice(
            input.status.value, field: "status", allowed: UserStatus.allCases.map(\.rawValue), code: "invalid_status", errors: &errors)
        if case .null = input.type { errors.append(.init(field: "type", code: "required", message: "cannot be null")) }
        if case .null = input.status { errors.append(.init(field: "status", code: "required", message: "cannot be null")) }
        if case .null = input.emailVerified { errors.append(.init(field: "emailVerified", code: "required", message: "cannot be null")) }
        if case .null = input.phoneVerified { errors.append(.init(field: "phoneVerified", code: "required", message: "cannot be null")) }
        if input.status.value == UserStatus.blocked.rawValue {
            errors.append(.init(field: "status", code: "use_ban", message: "is set to blocked by POST /users/{id}/ban, with a reason"))
        }
        self.password = UserRules.password(input.password.value, errors: &errors)
        try UserRules.check(errors)
        self.input = input
        self.profile = profile
        self.type = type.flatMap(UserType.init(rawValue:))
        self.status = status.flatMap(UserStatus.init(rawValue:))
    }

    /// Applies the input to `user`'s fields (not the password, which is stored separately).
    func apply(to user: inout User, mode: UserInputMode) {
        let before = user.profile
        func set<T>(_ field: PatchField<some Any>, _ path: WritableKeyPath<UserProfile, T?>, _ value: T?) {
            if mode == .replace || field.isPresent { user.profile[keyPath: path] = value }
        }
        set(self.input.email, \.email, self.profile.email)
        set(self.input.phone, \.phone, self.profile.phone)
        set(self.input.username, \.username, self.profile.username)
        set(self.input.firstName, \.firstName, self.profile.firstName)
        set(self.input.lastName, \.lastName, self.profile.lastName)
        set(self.input.profileImage, \.profileImage, self.profile.profileImage)
        set(self.input.language, \.language, self.profile.language)
        set(self.input.timezone, \.timezone, self.profile.timezone)
        set(self.input.country, \.country, self.profile.country)
        set(self.input.city, \.city, self.profile.city)
        set(self.input.department, \.department, self.profile.department)
        set(self.input.sex, \.sex, self.profile.sex)
        set(self.input.birthDate, \.birthDate, self.profile.birthDate)
        if let type = self.type { user.type = type } else if mode == .replace { user.type = .user }
        if let status = self.status {
            user.status = status
            user.banReason = nil
        }
        // A new email or phone is not verified, unless the request says it is.
        if user.profile.email?.lowercased() != before.email?.lowercased() { user.emailVerified = false }
        if user.profile.phone != before.phone { user.phoneVerified = false }
        if let verified = self.input.emailVerified.value { user.emailVerified = verified }
        if let verified = self.input.phoneVerified.value { user.phoneVerified = verified }
    }
}
