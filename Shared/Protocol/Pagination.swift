/// The `pagination` object of every list response.
public struct PaginationInfo: Codable, Sendable, Equatable {
    public var page: Int
    public var limit: Int
    public var total: Int
    public var pages: Int
    public var hasNext: Bool
    public var hasPrevious: Bool
    /// Opaque cursor for the next page when keyset paging is used; `nil` on the last page.
    public var nextCursor: String?

    public init(page: Int, limit: Int, total: Int, hasNext: Bool, hasPrevious: Bool, nextCursor: String?) {
        self.page = page
        self.limit = limit
        self.total = total
        self.pages = limit > 0 ? (total + limit - 1) / limit : 0
        self.hasNext = hasNext
        self.hasPrevious = hasPrevious
        self.nextCursor = nextCursor
    }
}

/// A page of a list: `{"data": [...], "pagination": {...}}`.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var data: [Item]
    public var pagination: PaginationInfo

    public init(data: [Item], pagination: PaginationInfo) {
        self.data = data
        self.pagination = pagination
    }
}
