import Foundation
import RosterProtocol

/// The opaque `cursor` of keyset paging: the sort values and id of the last row served.
///
/// It also records the order it belongs to (a cursor is refused under another `sort`) and
/// how many rows came before, so page numbers stay meaningful in the response.
public struct ListCursor: Codable, Sendable, Equatable {
    /// The order, as `-createdAt,email`.
    public var order: String
    /// One value per sort key, as text.
    public var values: [String]
    public var lastID: EntityID
    /// Rows before the next page.
    public var position: Int

    public init(order: String, values: [String], lastID: EntityID, position: Int) {
        self.order = order
        self.values = values
        self.lastID = lastID
        self.position = position
    }

    /// base64url of the JSON.
    public func encoded() -> String {
        Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data())
    }

    /// Decodes a cursor; `nil` when it is not one of ours.
    public static func decode(_ text: String) -> ListCursor? {
        // Room for a sort value of 2,000 bytes (a string attribute) in base64, and the rest.
        guard text.utf8.count <= 4096 else { return nil }
        guard let data = Base64URL.decode(text) else { return nil }
        return try? JSONDecoder().decode(ListCursor.self, from: data)
    }
}

/// A listed item that keyset paging can continue after.
public protocol KeysetPageable {
    var id: EntityID { get }
    /// The value of a sort field (API name) as text: timestamps in RFC 3339, ids lowercase.
    func sortValue(for field: String) -> String?
}
