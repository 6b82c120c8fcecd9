import RosterProtocol

/// A call to a sibling service that did not succeed.
public enum InternalCallError: Error, CustomStringConvertible {
    /// The service could not be reached, timed out, or answered 5xx.
    case unavailable(service: ServiceName, reason: String)
    /// The service answered with a 4xx problem.
    case rejected(service: ServiceName, status: Int, problem: Problem?)

    /// What the caller's own client sees: 503 when a dependency is down; a rejection's problem
    /// passes through only as a 502, since it is about the call, not the client's request.
    public var problem: Problem {
        switch self {
        case .unavailable(let service, _):
            return .unavailable("The \(service.rawValue) service is not available right now; retry shortly.")
        case .rejected(let service, _, _):
            return Problem(
                status: 502, code: "bad_gateway", title: "Bad gateway",
                detail: "The \(service.rawValue) service refused an internal request.")
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let service, let reason): "\(service.rawValue) unavailable: \(reason)"
        case .rejected(let service, let status, let problem): "\(service.rawValue) answered \(status): \(problem?.detail ?? "-")"
        }
    }
}
