import RosterProtocol
import RosterRuntime

/// A user with the audience data `?include=groups,tags,attributes` asked for, as extra
/// fields next to the user's own (`groups`, `tags`, `attributes`).
struct IncludedUser: Encodable, Sendable {
    var user: UserResponse
    var audience: AudienceLookup.Entry

    func encode(to encoder: any Encoder) throws {
        try self.user.encode(to: encoder)
        try self.audience.encode(to: encoder)
    }
}

/// What `?include=` names, checked and parsed.
enum UserInclude {
    /// The parts asked for; an unknown name is a 400 naming it.
    static func parts(_ text: String?) throws -> [AudienceLookup.Part] {
        guard let text else { return [] }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let unknown = names.filter { AudienceLookup.Part(rawValue: $0) == nil }
        guard unknown.isEmpty else {
            let allowed = AudienceLookup.Part.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem.invalidQuery("include", "may name \(allowed); unknown: \(unknown.joined(separator: ", "))")
        }
        var parts: [AudienceLookup.Part] = []
        for part in names.compactMap(AudienceLookup.Part.init(rawValue:)) where !parts.contains(part) { parts.append(part) }
        return parts
    }
}
