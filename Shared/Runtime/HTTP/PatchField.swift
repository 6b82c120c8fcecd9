/// A field of a partial update: left out, set to null, or set to a value.
///
/// JSON Merge Patch semantics need the difference between "absent" and "null", which
/// `Optional` cannot express; decode with `container.decodePatch(_:forKey:)`.
public enum PatchField<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// Whether the client sent the field at all.
    public var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }

    /// The value, `nil` for both absent and null.
    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

extension KeyedDecodingContainer {
    /// Decodes a `PatchField`: absent when the key is missing, `.null` for JSON null.
    public func decodePatch<Value: Decodable & Sendable>(_ type: Value.Type, forKey key: Key) throws -> PatchField<Value> {
        guard self.contains(key) else { return .absent }
        if try self.decodeNil(forKey: key) { return .null }
        return .value(try self.decode(Value.self, forKey: key))
    }
}
