import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RosterProtocol

/// Renders a `ListPage` in the dialect of its request, with the pagination headers.
///
/// Envelope requests get `{"data","pagination"}`; `range=` requests get the bare array
/// (react-admin simple-rest). Both get `Content-Range`, `X-Total-Count`, `Link` and
/// `Access-Control-Expose-Headers` naming them.
public enum ListResponder {
    public static func respond<Item: Encodable & Sendable>(
        _ page: ListPage<Item>, query: ListQuery, request: Request
    ) throws -> Response {
        try self.respond(page, query: query, request: request) { items, pagination in
            if let pagination { AnyEncodable(Envelope(data: items, pagination: pagination)) } else { AnyEncodable(items) }
        }
    }

    /// A list page in a shape of the endpoint's own: `body` gets the items and, for envelope
    /// requests, the pagination (`nil` for `range=` requests); the headers are the same.
    public static func respond<Item: Encodable & Sendable, Body: Encodable>(
        _ page: ListPage<Item>, query: ListQuery, request: Request, body shape: ([Item], PaginationInfo?) -> Body
    ) throws -> Response {
        let start = query.cursor?.position ?? query.offset
        let pagination: PaginationInfo? =
            query.style == .range
            ? nil
            : PaginationInfo(
                page: query.page, limit: query.limit, total: page.total, hasNext: page.hasNext, hasPrevious: start > 0,
                nextCursor: page.nextCursor)
        let body = try RosterJSON.makeEncoder().encode(shape(page.items, pagination))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentRange] =
            page.items.isEmpty ? "items */\(page.total)" : "items \(start)-\(start + page.items.count - 1)/\(page.total)"
        headers[.totalCount] = String(page.total)
        let links = Self.links(page: page, query: query, request: request, start: start)
        if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
        headers[.accessControlExposeHeaders] = "Content-Range, X-Total-Count, Link, X-Request-Id"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Envelope<Item: Encodable>: Encodable {
        var data: [Item]
        var pagination: PaginationInfo
    }

    /// Either body shape of `respond`, as one type.
    private struct AnyEncodable: Encodable {
        let value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try self.value.encode(to: encoder) }
    }

    static func links<Item>(page: ListPage<Item>, query: ListQuery, request: Request, start: Int) -> [String] {
        let path = request.uri.path
        let kept = (request.uri.query ?? "").split(separator: "&").filter { pair in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return !ListQueryParser.pagingNames.contains(name.removingPercentEncoding ?? name)
        }.map(String.init)

        func link(_ extra: [String], _ relation: String) -> String {
            "<\(path)?\((kept + extra).joined(separator: "&"))>; rel=\"\(relation)\""
        }

        let limit = query.limit
        let lastPage = max(1, (page.total + limit - 1) / limit)
        var result: [String] = []
        switch query.style {
        case .range:
            func range(_ first: Int) -> [String] { ["range=" + "[\(first),\(first + limit - 1)]".urlQueryEncoded] }
            result.append(link(range(0), "first"))
            if start > 0 { result.append(link(range(max(0, start - limit)), "prev")) }
            if page.hasNext { result.append(link(range(start + limit), "next")) }
            result.append(link(range((lastPage - 1) * limit), "last"))
        case .envelope:
            func numbered(_ number: Int) -> [String] { ["page=\(number)", "limit=\(limit)"] }
            result.append(link(numbered(1), "first"))
            if query.cursor == nil, query.page > 1 { result.append(link(numbered(query.page - 1), "prev")) }
            if page.hasNext {
                if let cursor = page.nextCursor, query.cursor != nil {
                    result.append(link(["cursor=\(cursor)", "limit=\(limit)"], "next"))
                } else {
                    result.append(link(numbered(query.page + 1), "next"))
                }
            }
            result.append(link(numbered(lastPage), "last"))
        }
        return result
    }
}

extension String {
    /// Percent-encodes everything but unreserved characters, for building query strings.
    public var urlQueryEncoded: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return self.addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}
