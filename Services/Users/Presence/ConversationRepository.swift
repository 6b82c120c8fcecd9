import Foundation
import Logging
import PostgresNIO
import RosterProtocol
import RosterRuntime

/// Who takes part in a conversation of the host application (seed 003): typing status with
/// an expiry, and who was last active on the user side and on the agent side.
struct ConversationRepository: Sendable {
    let client: PostgresClient
    let typingSeconds: Int

    /// A participant as the conversation endpoints show them.
    struct Participant: Encodable, Sendable {
        var id: EntityID
        var email: String?
        var firstName: String?
        var lastName: String?
        var type: String
        var isAgent: Bool
        var lastActiveAt: Date
    }

    /// Conversation ids are the host application's: 1 to 128 letters, digits, `_ . : -`.
    static func validID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.:-".unicodeScalars.contains($0)) }
    }

    /// Records the user as active in the conversation now, typing (until the expiry) or not;
    /// `false` when there is no such user.
    func touch(_ conversationID: String, userID: EntityID, typing: Bool?, applicationID: EntityID, logger: Logger) async throws -> Bool {
        let expiry: SQLFragment = typing == true ? "now() + make_interval(secs => \(Double(self.typingSeconds)))" : "NULL"
        // Activity without a typing change keeps the typing state as it is.
        let kept: SQLFragment = typing == nil ? "c.typing_until" : "excluded.typing_until"
        let upsert: SQLFragment = """
            INSERT INTO conversation_participants AS c (application_id, conversation_id, user_id, is_agent, last_active_at, typing_until)
            SELECT application_id, \(conversationID), id, type IN ('agent', 'admin'), now(), \(expiry)
            FROM users WHERE application_id = \(applicationID) AND id = \(userID)
            ON CONFLICT (application_id, conversation_id, user_id) DO UPDATE
                SET last_active_at = excluded.last_active_at, is_agent = excluded.is_agent, typing_until = \(kept)
            RETURNING user_id
            """
        return !(try await self.client.query(upsert.query(), logger: logger).collect().isEmpty)
    }

    /// Those typing in the conversation now, agents only when `agents` is true, one user when `userID` is set.
    func typing(_ conversationID: String, agents: Bool, userID: EntityID?, applicationID: EntityID, logger: Logger) async throws -> [Participant] {
        var conditions: [SQLFragment] = [
            "c.application_id = \(applicationID)", "c.conversation_id = \(conversationID)", "c.typing_until > now()",
        ]
        if agents { conditions.append("c.is_agent") }
        if let userID { conditions.append("c.user_id = \(userID)") }
        return try await self.participants(where: conditions, limit: 100, logger: logger)
    }

    /// The participant last active on the user side, or on the agent side when `agent` is true.
    func last(_ conversationID: String, agent: Bool, applicationID: EntityID, logger: Logger) async throws -> Participant? {
        try await self.participants(
            where: ["c.application_id = \(applicationID)", "c.conversation_id = \(conversationID)", "c.is_agent = \(agent)"], limit: 1,
            logger: logger
        ).first
    }

    private func participants(where conditions: [SQLFragment], limit: Int, logger: Logger) async throws -> [Participant] {
        let select: SQLFragment = """
            SELECT u.id, u.email, u.first_name, u.last_name, u.type, c.is_agent, c.last_active_at
            FROM conversation_participants c JOIN users u ON u.application_id = c.application_id AND u.id = c.user_id
            WHERE \(SQLFragment.all(conditions)) ORDER BY c.last_active_at DESC, u.id LIMIT \(limit)
            """
        var found: [Participant] = []
        for try await (id, email, first, last, type, agent, active) in try await self.client.query(select.query(), logger: logger)
            .decode((EntityID, String?, String?, String?, String, Bool, Date).self)
        {
            found.append(Participant(id: id, email: email, firstName: first, lastName: last, type: type, isAgent: agent, lastActiveAt: active))
        }
        return found
    }
}
