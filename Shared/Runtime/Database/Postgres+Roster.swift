import Foundation
import NIOCore
import PostgresNIO
import RosterProtocol

extension EntityID: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable, PostgresArrayDecodable {
    public static var psqlType: PostgresDataType { UUID.psqlType }
    public static var psqlFormat: PostgresFormat { UUID.psqlFormat }
    public static var psqlArrayType: PostgresDataType { UUID.psqlArrayType }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        self.uuid.encode(into: &byteBuffer, context: context)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from byteBuffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        self.init(try UUID(from: &byteBuffer, type: type, format: format, context: context))
    }
}

extension JSONValue: PostgresCodable {}
