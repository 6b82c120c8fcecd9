import Hummingbird
import RosterProtocol
import RosterRuntime

/// `/api/v1/bot` (seed 003 get-bot-id): the application's bot, a user of type `bot` made on
/// first use; its name (first name) and image can be changed.
struct BotController: Sendable {
    let users: UserRepository

    /// How the bot shows.
    struct Profile: Encodable, Sendable {
        var id: EntityID
        var name: String?
        var profileImage: String?

        init(_ user: User) {
            self.id = user.id
            self.name = user.profile.firstName
            self.profileImage = user.profile.profileImage
        }
    }

    /// `{"name"?, "profileImage"?}`; `null` clears the image.
    struct Change: Decodable, Sendable {
        var name: PatchField<String>
        var profileImage: PatchField<String>

        enum CodingKeys: String, CodingKey { case name, profileImage }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decodePatch(String.self, forKey: .name)
            self.profileImage = try container.decodePatch(String.self, forKey: .profileImage)
        }
    }

    func register(on group: RouterGroup<RosterRequestContext>) {
        group.get(use: self.get)
        group.patch(use: self.update)
    }

    @Sendable func get(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireStaff()
        return try JSONResponses.json(Profile(try await self.users.bot(applicationID: principal.applicationID, logger: context.logger)))
    }

    @Sendable func update(_ request: Request, context: RosterRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let change = try await request.decodeJSON(as: Change.self, context: context)
        var errors: [Problem.FieldError] = []
        let name = UserRules.text(change.name.value, field: "name", max: 100, errors: &errors)
        if change.name.isPresent, name == nil, errors.isEmpty {
            errors.append(.init(field: "name", code: "required", message: "cannot be null or empty"))
        }
        let image = UserRules.url(change.profileImage.value, field: "profileImage", errors: &errors)
        try UserRules.check(errors)
        let bot = try await self.users.bot(applicationID: principal.applicationID, logger: context.logger)
        let updated = try await self.users.update(bot.id, applicationID: principal.applicationID, logger: context.logger) { user in
            if let name { user.profile.firstName = name }
            if change.profileImage.isPresent { user.profile.profileImage = image }
        }
        guard let updated else { throw Problem.notFound("The bot was deleted meanwhile; retry.") }
        return try JSONResponses.json(Profile(updated))
    }
}
