import Crypto
import Foundation
import RosterProtocol
import RosterRuntime

/// Seals encrypted attribute values with AES-256-GCM.
///
/// Every sealed value records the id of the key that sealed it, so keys can rotate: the first
/// configured key seals new values, every configured key opens old ones. The ciphertext is
/// bound to its row (application, user, definition), so it cannot be moved to another one.
struct AttributeSealer: Sendable {
    let activeKeyID: String
    private let keys: [String: SymmetricKey]

    /// Reads `id:base64key[,id:base64key...]`; each key is 32 bytes.
    init(keyList: String) throws {
        var keys: [String: SymmetricKey] = [:]
        var order: [String] = []
        for entry in keyList.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, (1...32).contains(parts[0].count), let data = Data(base64Encoded: String(parts[1])), data.count == 32
            else {
                throw ConfigurationError(
                    "\(Setting.attributeEncryptionKeys.environmentName) must be id:key pairs, each key 32 bytes in base64 (openssl rand -base64 32)")
            }
            guard keys[String(parts[0])] == nil else {
                throw ConfigurationError("\(Setting.attributeEncryptionKeys.environmentName) names key \(parts[0]) twice")
            }
            keys[String(parts[0])] = SymmetricKey(data: data)
            order.append(String(parts[0]))
        }
        guard let first = order.first else {
            throw ConfigurationError("\(Setting.attributeEncryptionKeys.environmentName) must name at least one key")
        }
        self.activeKeyID = first
        self.keys = keys
    }

    /// The sealed bytes of `value` and the id of the key used.
    func seal(_ value: JSONValue, row: Row) throws -> (sealed: Data, keyID: String) {
        let plain = try JSONEncoder().encode(value)
        let box = try AES.GCM.seal(plain, using: self.keys[self.activeKeyID]!, authenticating: row.associatedData)
        return (box.combined!, self.activeKeyID)
    }

    /// The value sealed in `sealed` by key `keyID`.
    func open(_ sealed: Data, keyID: String, row: Row) throws -> JSONValue {
        guard let key = self.keys[keyID] else { throw SealError.unknownKey(keyID) }
        let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: row.associatedData)
        return try JSONDecoder().decode(JSONValue.self, from: plain)
    }

    /// A value of an encrypted attribute waiting in a bulk job's staging table, sealed for
    /// `place` (job, line, slug) so it is never stored in plain text there either.
    func sealStaged(_ value: JSONValue, place: String) throws -> JSONValue {
        let box = try AES.GCM.seal(try JSONEncoder().encode(value), using: self.keys[self.activeKeyID]!, authenticating: Data(place.utf8))
        return ["$sealed": .string(box.combined!.base64EncodedString()), "$key": .string(self.activeKeyID)]
    }

    /// The value `sealStaged` sealed for `place`; any other value as it is. `nil` when it has
    /// the sealed shape but cannot be opened (its key is gone, or it was not sealed here).
    func openStaged(_ value: JSONValue, place: String) -> JSONValue? {
        guard case .object(let object) = value, object.count == 2, let text = object["$sealed"]?.stringValue,
            let keyID = object["$key"]?.stringValue
        else { return value }
        guard let key = self.keys[keyID], let data = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Data(place.utf8)),
            let opened = try? JSONDecoder().decode(JSONValue.self, from: plain)
        else { return nil }
        return opened
    }

    /// Where a sealed value belongs.
    struct Row {
        var applicationID: EntityID
        var userID: EntityID
        var definitionID: EntityID

        var associatedData: Data { Data("\(self.applicationID)/\(self.userID)/\(self.definitionID)".utf8) }
    }

    enum SealError: Error, CustomStringConvertible {
        case unknownKey(String)

        var description: String {
            switch self {
            case .unknownKey(let id): "the key \(id) that sealed this value is no longer configured"
            }
        }
    }
}
