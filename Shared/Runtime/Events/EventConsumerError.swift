import RosterProtocol

/// Why a consumer refused an event: it is rolled back to its savepoint and never applied.
public enum EventConsumerError: Error {
    /// The payload contradicts its envelope (another subject or application).
    case inconsistent(EntityID)
}
