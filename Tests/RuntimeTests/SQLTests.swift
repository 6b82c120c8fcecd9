import Foundation
import RosterProtocol
import Testing

@testable import RosterRuntime

@Suite struct SQLTests {
    @Test func fragmentsNumberTheirBindsInOrder() throws {
        let status = "active"
        let inner: SQLFragment = "status = \(status)"
        let outer: SQLFragment = "SELECT * FROM users WHERE application_id = \(EntityID.generate()) AND \(inner) LIMIT \(10)"
        let query = try outer.query()
        #expect(query.sql == "SELECT * FROM users WHERE application_id = $1 AND status = $2 LIMIT $3")
        #expect(query.binds.count == 3)
    }

    @Test func valuesAreNeverSplicedIntoText() throws {
        let hostile = "x'; DROP TABLE users; --"
        let query = try SQLFragment("SELECT \(hostile)").query()
        #expect(query.sql == "SELECT $1")
    }

    @Test func aCombiningMarkAfterABindKeepsTheBind() throws {
        let query = try SQLFragment("SELECT \(1)\u{301}, \(2)").query()
        #expect(query.binds.count == 2)
        #expect(query.sql == "SELECT $1\u{301}, $2")
    }

    @Test func allAndAnyCombine() throws {
        #expect(try SQLFragment.all([]).query().sql == "TRUE")
        #expect(try SQLFragment.any([]).query().sql == "FALSE")
        #expect(try SQLFragment.all(["a = \(1)", "b = \(2)"]).query().sql == "((a = $1) AND (b = $2))")
        // Each stays one condition beside others: an OR never escapes the AND around it.
        let scoped: SQLFragment = "tenant = \(7) AND " + SQLFragment.any(["a", "b"])
        #expect(try scoped.query().sql == "tenant = $1 AND ((a) OR (b))")
    }

    @Test func scriptSplitterKeepsQuotedSemicolons() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y');
            /* block; comment */
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 2; END $body$;
            SELECT "we;ird", 'it''s;';
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0] == "CREATE TABLE t (a text DEFAULT 'x;y')")
        #expect(statements[1].hasSuffix("$$ SELECT 1; $$"))
        #expect(statements[2].hasSuffix("$body$ BEGIN RETURN 2; END $body$"))
        #expect(statements[3] == "SELECT \"we;ird\", 'it''s;'")
    }

    @Test func databaseURLParsesAndRedacts() throws {
        let url = try DatabaseURL("postgres://roster_users:s%40cret@db.internal:6432/roster?sslmode=require")
        #expect(url.username == "roster_users" && url.password == "s@cret" && url.host == "db.internal")
        #expect(url.port == 6432 && url.database == "roster" && url.sslMode == "require")
        #expect(!url.description.contains("cret"))
        #expect(throws: ConfigurationError.self) { try DatabaseURL("mysql://x@y/z") }
        #expect(throws: ConfigurationError.self) { try DatabaseURL("postgres://host/db") }
        #expect(throws: ConfigurationError.self) { try DatabaseURL("postgres://u@h/db?sslmode=maybe") }
    }
}
