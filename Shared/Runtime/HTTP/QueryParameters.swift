import Hummingbird
import RosterProtocol

/// Single query parameters outside a list query (`?admins=false`, `?userId=`), read with the
/// list parser's rules and its 400s.
extension Request {
    /// `true`/`1`/`yes` or `false`/`0`/`no`; `nil` when absent; anything else is a 400.
    public func flagParameter(_ name: String) throws -> Bool? {
        guard let text = self.uri.queryParameters.get(name) else { return nil }
        guard let flag = QueryText.flag(text) else { throw Problem.invalidQuery(name, "must be true or false") }
        return flag
    }

    /// An id; `nil` when absent; anything else is a 400.
    public func idParameter(_ name: String) throws -> EntityID? {
        guard let text = self.uri.queryParameters.get(name) else { return nil }
        guard let id = EntityID(text) else { throw Problem.invalidQuery(name, "must be an id (UUID)") }
        return id
    }
}

/// How query text reads as a value.
enum QueryText {
    static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }
}

extension Problem {
    /// `Query parameter <name> <message>.` — a 400 `invalid_query` naming the parameter.
    public static func invalidQuery(_ parameter: String, _ message: String) -> Problem {
        .badRequest(
            "Query parameter \(parameter) \(message).", code: "invalid_query",
            errors: [.init(field: parameter, code: "invalid_query", message: message)])
    }
}
