import RosterProtocol

/// Why a consumer refused an event: it is rolled back and left out of the batch's answer, never applied.
public enum EventConsumerError: Error {
    /// The payload contradicts its envelope (another subject or application).
    case inconsistent(EntityID)
}

extension EventEnvelope {
    /// The user snapshot of a `user.created` / `user.updated`, refused when it names another
    /// user or application than its envelope.
    public func userSnapshot() throws -> UserSnapshot {
        let snapshot = try self.decodePayload(as: UserSnapshot.self)
        guard snapshot.id == self.subjectId, snapshot.applicationId == self.applicationId else {
            throw EventConsumerError.inconsistent(self.id)
        }
        return snapshot
    }
}
