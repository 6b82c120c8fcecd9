import Crypto
import Foundation
import RosterProtocol

/// The keys that seal data at rest with AES-256-GCM (`encryption.keys`).
///
/// Every sealed value records the id of the key that sealed it, so keys can rotate: the first
/// configured key seals new values, every configured key opens old ones. Callers bind each
/// value to its place (`context`), so a sealed value cannot be moved to another row.
public struct SealingKeys: Sendable {
    /// The key that seals new values (the first listed).
    private let activeKeyID: String
    private let keys: [String: SymmetricKey]

    /// Reads `id:base64key[,id:base64key...]`; each key is 32 bytes.
    public init(keyList: String) throws {
        let name = Setting.encryptionKeys.environmentName
        var keys: [String: SymmetricKey] = [:]
        var order: [String] = []
        for entry in keyList.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, (1...32).contains(parts[0].count), let data = Data(base64Encoded: String(parts[1])), data.count == 32
            else { throw ConfigurationError("\(name) must be id:key pairs, each key 32 bytes in base64 (openssl rand -base64 32)") }
            guard keys[String(parts[0])] == nil else { throw ConfigurationError("\(name) names key \(parts[0]) twice") }
            keys[String(parts[0])] = SymmetricKey(data: data)
            order.append(String(parts[0]))
        }
        guard let first = order.first else { throw ConfigurationError("\(name) must name at least one key") }
        self.activeKeyID = first
        self.keys = keys
    }

    /// `plain` sealed with the active key for `context`, and that key's id.
    public func seal(_ plain: Data, context: Data) throws -> (sealed: Data, keyID: String) {
        let box = try AES.GCM.seal(plain, using: self.keys[self.activeKeyID]!, authenticating: context)
        return (box.combined!, self.activeKeyID)
    }

    /// The plain bytes of a value `seal` sealed for `context` with key `keyID`.
    public func open(_ sealed: Data, keyID: String, context: Data) throws -> Data {
        guard let key = self.keys[keyID] else { throw SealingError.unknownKey(keyID) }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: context)
    }

    /// A JSON value sealed into JSON (`{"$sealed": base64, "$key": id}`), for sealed values
    /// that travel inside JSON columns such as job payloads.
    public func sealJSON(_ value: JSONValue, context: String) throws -> JSONValue {
        let (sealed, keyID) = try self.seal(try JSONEncoder().encode(value), context: Data(context.utf8))
        return ["$sealed": .string(sealed.base64EncodedString()), "$key": .string(keyID)]
    }

    /// Whether `value` has the shape `sealJSON` gives.
    public static func isSealedJSON(_ value: JSONValue) -> Bool {
        guard case .object(let object) = value else { return false }
        return object.count == 2 && object["$sealed"]?.stringValue != nil && object["$key"]?.stringValue != nil
    }

    /// The value `sealJSON` sealed for `context`; `nil` when it is not sealed that way or cannot
    /// be opened (its key is gone, or it was sealed for another place).
    public func openJSON(_ value: JSONValue, context: String) -> JSONValue? {
        guard Self.isSealedJSON(value), case .object(let object) = value, let text = object["$sealed"]?.stringValue,
            let keyID = object["$key"]?.stringValue, let data = Data(base64Encoded: text),
            let plain = try? self.open(data, keyID: keyID, context: Data(context.utf8))
        else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: plain)
    }
}

/// A sealed value could not be opened.
public enum SealingError: Error, CustomStringConvertible {
    case unknownKey(String)

    public var description: String {
        switch self {
        case .unknownKey(let id): "the key \(id) that sealed this value is no longer configured"
        }
    }
}
