import Foundation
import RosterProtocol

/// A parsed list request, in either dialect (README, "API conventions"), ready for a repository.
public struct ListQuery: Sendable {
    /// How the client asked for the page, which decides the response body's shape.
    public enum Style: Sendable, Equatable {
        /// `page`/`limit` (or `perPage`, `page_size`) or `cursor`: body `{"data","pagination"}`.
        case envelope
        /// react-admin simple-rest `range=[0,9]`: body is the bare array.
        case range
    }

    public var style: Style
    /// 1-based page number.
    public var page: Int
    public var limit: Int
    /// Rows skipped (offset paging); 0 with a cursor.
    public var offset: Int
    public var sort: [SortKey]
    public var search: String?
    public var filters: [String: FilterValue]
    /// The decoded `cursor` of keyset paging, if the client sent one.
    public var cursor: ListCursor?

    /// The value of a filter, if the request set it.
    public func filter(_ name: String) -> FilterValue? { self.filters[name] }
}

/// A validated filter value, typed by the endpoint's `ListQuerySpec`.
public enum FilterValue: Sendable, Equatable {
    case string(String)
    case boolean(Bool)
    case integer(Int)
    case id(EntityID)
    case timestamp(Date)
    case strings([String])
    case ids([EntityID])
}
