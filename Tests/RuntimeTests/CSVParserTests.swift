import Testing

@testable import RosterRuntime

/// The streaming CSV parser: RFC 4180 fed in pieces, strict by default, and recovering from
/// bad quoting row by row when asked.
@Suite struct CSVParserTests {
    /// Parses `text` fed in pieces of `piece` bytes.
    func parse(_ text: String, piece: Int = 3, recoveringRows: Bool = false) throws(CSVError) -> [CSVRecord] {
        var parser = CSVParser(recoveringRows: recoveringRows)
        let bytes = Array(text.utf8)
        var records: [CSVRecord] = []
        var start = 0
        while start < bytes.count {
            records += try parser.feed(bytes[start..<min(start + piece, bytes.count)])
            start += piece
        }
        return records + (try parser.finish())
    }

    @Test func readsQuotesLineBreaksAndBlankLines() throws {
        let records = try self.parse("\u{FEFF}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\nlast,")
        #expect(
            records == [
                CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["x, \"y\"", "two\nlines"]),
                CSVRecord(line: 5, fields: ["last", ""]),
            ])
    }

    @Test func strictRefusesBadQuotingAtItsLine() {
        #expect(throws: CSVError(line: 2, message: "a quote inside an unquoted field (quote the whole field and double the quote)")) {
            try self.parse("a\nb\"c\n")
        }
        #expect(throws: CSVError(line: 1, message: "a closing quote must be followed by a comma or a line break")) {
            try self.parse("\"a\"b\n")
        }
    }

    @Test func recoveringMarksTheRecordAndGoesOn() throws {
        let records = try self.parse("h1,h2\nok,1\nb\"ad,2\n\"x\"y,3\nfine,4\n", recoveringRows: true)
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
        #expect(records[2].error == "line 3: a quote inside an unquoted field (quote the whole field and double the quote)")
        #expect(records[3].error == "line 4: a closing quote must be followed by a comma or a line break")
        #expect(records[4] == CSVRecord(line: 5, fields: ["fine", "4"]))
        // A quoted field never closed still ends the file.
        #expect(throws: CSVError(line: 2, message: "a quoted field is never closed")) { try self.parse("a\n\"open,1\nb\n", recoveringRows: true) }
    }
}
