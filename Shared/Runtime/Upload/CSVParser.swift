/// One record of a CSV file: its fields and the line it starts on (1-based).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
    /// Why the record is malformed, when the parser recovers from bad quoting (see
    /// `CSVParser.init(recoveringRows:)`); its fields are then incomplete.
    public var error: String?

    public init(line: Int, fields: [String], error: String? = nil) {
        self.line = line
        self.fields = fields
        self.error = error
    }
}

/// A CSV file that breaks RFC 4180 (or Roster's limits) at a line.
public struct CSVError: Error, Equatable {
    public var line: Int
    public var message: String
}

/// An RFC 4180 parser fed chunk by chunk, so an upload is never held whole in memory.
///
/// Written here because the mirrored CSV packages read a `String` or a blocking stream,
/// not an async request body. Fields may be quoted (`""` is a quote inside them, line breaks
/// allowed); records end with LF, CRLF or CR; blank lines are skipped; a UTF-8 byte-order
/// mark is dropped. Invalid UTF-8, NUL characters and over-long fields are refused.
///
/// Recovering rows, a stray quote (inside an unquoted field, or after a closing one) makes
/// just its record malformed: the rest of that line is skipped and the record comes out with
/// its `error`, so the good records around it still count. A quoted field never closed, bad
/// UTF-8 and NUL stay errors of the whole file: nothing after them can be trusted.
public struct CSVParser: Sendable {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, skippingLine }

    private let maxFieldBytes: Int
    private let maxFields: Int
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var line = 1
    private var recordLine = 1
    private var lastWasCR = false
    private var isFirstRecord = true
    private var records: [CSVRecord] = []
    private let recoveringRows: Bool
    private var recordError: String?

    public init(maxFieldBytes: Int = 65_536, maxFields: Int = 1_000, recoveringRows: Bool = false) {
        self.maxFieldBytes = maxFieldBytes
        self.maxFields = maxFields
        self.recoveringRows = recoveringRows
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Parses the next bytes; returns the records they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(CSVError) -> [CSVRecord] {
        for byte in bytes {
            if self.lastWasCR {
                self.lastWasCR = false
                if byte == Self.lf, self.state == .fieldStart, self.fields.isEmpty { continue }
            }
            try self.consume(byte)
        }
        defer { self.records.removeAll(keepingCapacity: true) }
        return self.records
    }

    /// Ends the input; returns the last record, if the file did not end with a line break.
    public mutating func finish() throws(CSVError) -> [CSVRecord] {
        switch self.state {
        case .quoted:
            throw CSVError(line: self.recordLine, message: "a quoted field is never closed")
        case .unquoted, .quoteInQuoted:
            try self.endField()
            try self.endRecord()
        case .skippingLine:
            try self.endRecord()
        case .fieldStart:
            if !self.fields.isEmpty {
                try self.endField()
                try self.endRecord()
            }
        }
        defer { self.records.removeAll() }
        return self.records
    }

    private mutating func consume(_ byte: UInt8) throws(CSVError) {
        switch self.state {
        case .fieldStart:
            if byte == Self.quote {
                self.state = .quoted
            } else {
                self.state = .unquoted
                try self.consumeUnquoted(byte)
            }
        case .unquoted:
            try self.consumeUnquoted(byte)
        case .quoted:
            if byte == Self.quote {
                self.state = .quoteInQuoted
            } else {
                if byte == Self.lf { self.line += 1 }
                try self.append(byte)
            }
        case .quoteInQuoted:
            if byte == Self.quote {
                try self.append(byte)
                self.state = .quoted
            } else if byte == Self.comma || byte == Self.lf || byte == Self.cr {
                self.state = .unquoted
                try self.consumeUnquoted(byte)
            } else {
                try self.malformed("a closing quote must be followed by a comma or a line break")
            }
        case .skippingLine:
            guard byte == Self.lf || byte == Self.cr else { return }
            try self.endLine(byte)
        }
    }

    /// Bad quoting: an error of the whole file, or, recovering rows, of this record only.
    private mutating func malformed(_ message: String) throws(CSVError) {
        guard self.recoveringRows else { throw CSVError(line: self.line, message: message) }
        self.recordError = "line \(self.line): \(message)"
        self.field.removeAll(keepingCapacity: true)
        self.state = .skippingLine
    }

    /// A line break that ends the record.
    private mutating func endLine(_ byte: UInt8) throws(CSVError) {
        try self.endRecord()
        self.lastWasCR = byte == Self.cr
        self.line += 1
        self.recordLine = self.line
        self.state = .fieldStart
    }

    private mutating func consumeUnquoted(_ byte: UInt8) throws(CSVError) {
        switch byte {
        case Self.comma:
            try self.endField()
            self.state = .fieldStart
        case Self.lf, Self.cr:
            try self.endField()
            try self.endLine(byte)
        case Self.quote:
            try self.malformed("a quote inside an unquoted field (quote the whole field and double the quote)")
        default:
            try self.append(byte)
        }
    }

    private mutating func append(_ byte: UInt8) throws(CSVError) {
        guard byte != 0 else { throw CSVError(line: self.line, message: "the NUL character is not allowed") }
        guard self.field.count < self.maxFieldBytes else {
            throw CSVError(line: self.line, message: "a field is longer than \(self.maxFieldBytes) bytes")
        }
        self.field.append(byte)
    }

    private mutating func endField() throws(CSVError) {
        guard var text = String(validating: self.field, as: UTF8.self) else {
            throw CSVError(line: self.line, message: "the file is not valid UTF-8")
        }
        if self.isFirstRecord, self.fields.isEmpty, text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard self.fields.count < self.maxFields else {
            throw CSVError(line: self.recordLine, message: "a record has more than \(self.maxFields) fields")
        }
        self.fields.append(text)
        self.field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord() throws(CSVError) {
        defer {
            self.fields.removeAll(keepingCapacity: true)
            self.recordError = nil
        }
        if self.recordError == nil, self.fields.count == 1, self.fields[0].isEmpty { return }  // a blank line
        self.records.append(CSVRecord(line: self.recordLine, fields: self.fields, error: self.recordError))
        self.isFirstRecord = false
    }
}
