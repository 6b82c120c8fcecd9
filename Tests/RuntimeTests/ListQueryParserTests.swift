import Foundation
import RosterProtocol
import Testing

@testable import RosterRuntime

@Suite struct ListQueryParserTests {
    let spec = ListQuerySpec(
        sortFields: [
            "createdAt": .init(column: "created_at", type: .timestamp),
            "email": .init(column: "email", type: .string),
        ],
        defaultSort: [SortKey("createdAt", descending: true)],
        filters: ["status": .choice(["active", "blocked"]), "isActive": .boolean, "ids": .ids, "createdAfter": .timestamp],
        searchable: true)

    func parse(_ parameters: [(String, String)]) throws -> ListQuery {
        try ListQueryParser.parse(parameters: parameters, spec: self.spec)
    }

    func problem(_ parameters: [(String, String)]) -> Problem? {
        do {
            _ = try self.parse(parameters)
            return nil
        } catch {
            return error as? Problem
        }
    }

    @Test func defaults() throws {
        let query = try self.parse([])
        #expect(query.style == .envelope)
        #expect(query.page == 1 && query.limit == 20 && query.offset == 0)
        #expect(query.sort == [SortKey("createdAt", descending: true)])
        #expect(query.search == nil && query.filters.isEmpty && query.cursor == nil)
    }

    @Test func pageAndLimitDialect() throws {
        let query = try self.parse([("page", "3"), ("limit", "25"), ("sort", "-email,createdAt"), ("search", " ann ")])
        #expect(query.offset == 50 && query.limit == 25 && query.page == 3)
        #expect(query.sort == [SortKey("email", descending: true), SortKey("createdAt")])
        #expect(query.search == "ann")
    }

    @Test func reactAdminDialect() throws {
        let query = try self.parse([
            ("page", "2"), ("perPage", "10"), ("sort", #"["email","ASC"]"#), ("filter", #"{"q":"john","isActive":true,"status":"active"}"#),
        ])
        #expect(query.style == .envelope && query.offset == 10 && query.limit == 10)
        #expect(query.sort == [SortKey("email")])
        #expect(query.search == "john")
        #expect(query.filter("isActive") == .boolean(true))
        #expect(query.filter("status") == .string("active"))
    }

    @Test func simpleRestRangeGivesBareArrayStyle() throws {
        let query = try self.parse([("range", "[20,29]")])
        #expect(query.style == .range && query.offset == 20 && query.limit == 10 && query.page == 3)
    }

    @Test func seed002PageNames() throws {
        let query = try self.parse([("page_no", "2"), ("page_size", "5")])
        #expect(query.offset == 5 && query.limit == 5)
    }

    @Test func plainParametersAreFilters() throws {
        let first = EntityID.generate()
        let second = EntityID.generate()
        let query = try self.parse([("status", "blocked"), ("ids", "\(first),\(second)"), ("createdAfter", "2024-01-15")])
        #expect(query.filter("status") == .string("blocked"))
        #expect(query.filter("ids") == .ids([first, second]))
        #expect(query.filter("createdAfter") == .timestamp(RosterJSON.parseTimestamp("2024-01-15T00:00:00Z")!))
    }

    @Test(arguments: [
        [("limit", "0")], [("limit", "101")], [("limit", "ten")], [("page", "0")], [("range", "[5,1]")], [("range", "[0,100]")],
        [("range", "nope")], [("sort", "password")], [("sort", #"["email","SIDEWAYS"]"#)], [("sort", "[1,2")],
        [("filter", "{not json")], [("filter", #"{"unknown":1}"#)], [("filter", #"{"isActive":"maybe"}"#)], [("ids", "x,y")],
        [("status", "deleted")], [("filter", #"{"status":"deleted"}"#)],
        [("createdAfter", "yesterday")], [("cursor", "garbage")], [("range", "[9223372036854775807,9223372036854775807]")],
        [("range", "[-1,5]")], [("sort", "")], [("sort", "createdAt,")], [("sort", " createdAt")], [("status", "a\u{0}b")],
        [("cursor", ListCursor(order: "-createdAt", values: ["2024-01-15T10:00:00.123Z"], lastID: .generate(), position: .max).encoded())],
    ])
    func malformedInputIsA400(_ parameters: [(String, String)]) {
        let problem = self.problem(parameters)
        #expect(problem?.status == 400)
        #expect(problem?.errors?.isEmpty == false)
    }

    @Test func cursorRoundTripAndOrderCheck() throws {
        let id = EntityID.generate()
        let cursor = ListCursor(order: "-createdAt", values: ["2024-01-15T10:00:00.123Z"], lastID: id, position: 40).encoded()
        let query = try self.parse([("cursor", cursor), ("limit", "20")])
        #expect(query.cursor?.lastID == id)
        #expect(query.offset == 0 && query.page == 3)
        #expect(self.problem([("cursor", cursor), ("sort", "email")])?.status == 400)
    }

    @Test func keysetConditionHandlesMixedDirections() throws {
        let id = EntityID.generate()
        let cursor = ListCursor(order: "-email,createdAt", values: ["a@x.io", "2024-01-15T10:00:00.123Z"], lastID: id, position: 5)
        let query = try self.parse([("sort", "-email,createdAt"), ("cursor", cursor.encoded())])
        let sql = try query.keysetCondition(self.spec).query().sql
        #expect(
            sql == "((((email < $1))) OR (((email = $2) AND (created_at > $3::timestamptz))) "
                + "OR (((email = $4) AND (created_at = $5::timestamptz) AND (id > $6))))")
        #expect(try query.orderClause(self.spec).query().sql == "ORDER BY email DESC, created_at ASC, id ASC")
    }
}
