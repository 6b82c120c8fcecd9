import Foundation
import RosterProtocol
import RosterRuntime

/// Seals encrypted attribute values with the deployment's sealing keys (AES-256-GCM).
///
/// The ciphertext is bound to its row (application, user, definition), so it cannot be moved
/// to another one; values waiting in a bulk job's staging table are bound to their place there.
struct AttributeSealer: Sendable {
    let keys: SealingKeys

    init(keyList: String) throws {
        self.keys = try SealingKeys(keyList: keyList)
    }

    /// The sealed bytes of `value` and the id of the key used.
    func seal(_ value: JSONValue, row: Row) throws -> (sealed: Data, keyID: String) {
        try self.keys.seal(try JSONEncoder().encode(value), context: row.associatedData)
    }

    /// The value sealed in `sealed` by key `keyID`.
    func open(_ sealed: Data, keyID: String, row: Row) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try self.keys.open(sealed, keyID: keyID, context: row.associatedData))
    }

    /// A value of an encrypted attribute waiting in a bulk job's staging table, sealed for
    /// `place` (job, line, slug) so it is never stored in plain text there either.
    func sealStaged(_ value: JSONValue, place: String) throws -> JSONValue {
        try self.keys.sealJSON(value, context: place)
    }

    /// The value `sealStaged` sealed for `place`; any other value as it is. `nil` when it has
    /// the sealed shape but cannot be opened (its key is gone, or it was not sealed here).
    func openStaged(_ value: JSONValue, place: String) -> JSONValue? {
        SealingKeys.isSealedJSON(value) ? self.keys.openJSON(value, context: place) : value
    }

    /// Where a sealed value belongs.
    struct Row {
        var applicationID: EntityID
        var userID: EntityID
        var definitionID: EntityID

        var associatedData: Data { Data("\(self.applicationID)/\(self.userID)/\(self.definitionID)".utf8) }
    }
}
