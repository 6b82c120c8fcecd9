import Foundation

/// The id of any Roster resource: a UUIDv7, written as a lowercase string on the wire.
///
/// UUIDv7 ids sort by creation time, so primary-key indexes stay append-mostly and
/// `ORDER BY id` approximates creation order.
public struct EntityID: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    /// The underlying UUID.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(_ uuid: UUID) {
        self.uuid = uuid
    }

    /// Parses a UUID string in any letter case; `nil` when it is not a UUID.
    public init?(_ description: String) {
        guard let uuid = UUID(uuidString: description) else { return nil }
        self.uuid = uuid
    }

    /// A new time-ordered id (RFC 9562 version 7: 48-bit Unix milliseconds, then random bits).
    public static func generate(now: Date = Date()) -> EntityID {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<16 { bytes[index] = generator.next() }
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let uuid = UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return EntityID(uuid)
    }

    public var description: String { self.uuid.uuidString.lowercased() }

    public static func < (lhs: EntityID, rhs: EntityID) -> Bool {
        lhs.description < rhs.description
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = EntityID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a valid id: expected a UUID string")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}
