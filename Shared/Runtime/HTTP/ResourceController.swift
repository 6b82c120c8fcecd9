import Hummingbird

/// A controller of one collection of resources with Roster's usual routes: list and create on
/// the collection, read, change and delete on `:id` (`PUT` and `PATCH` both change the fields
/// given). Controllers add their other routes beside these.
public protocol ResourceController: Sendable {
    func list(_ request: Request, context: RosterRequestContext) async throws -> Response
    func create(_ request: Request, context: RosterRequestContext) async throws -> Response
    func get(_ request: Request, context: RosterRequestContext) async throws -> Response
    func update(_ request: Request, context: RosterRequestContext) async throws -> Response
    func delete(_ request: Request, context: RosterRequestContext) async throws -> Response
}

extension ResourceController {
    /// Adds the five operations (six routes) to `group`.
    public func registerResource(on group: RouterGroup<RosterRequestContext>) {
        group.get { try await self.list($0, context: $1) }
        group.post { try await self.create($0, context: $1) }
        group.get(":id") { try await self.get($0, context: $1) }
        group.put(":id") { try await self.update($0, context: $1) }
        group.patch(":id") { try await self.update($0, context: $1) }
        group.delete(":id") { try await self.delete($0, context: $1) }
    }
}
