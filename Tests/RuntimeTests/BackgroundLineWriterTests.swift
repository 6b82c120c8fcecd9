import Foundation
import RosterTestSupport
import Testing

@testable import RosterRuntime

/// Log lines go out on a thread of their own: a caller never waits for the output, lines past
/// the capacity are dropped and counted, and `flush` returns once everything is written.
@Suite struct BackgroundLineWriterTests {
    static func line(_ number: Int) -> Data { Data(String(format: "line %04d\n", number).utf8) }  // 10 bytes

    @Test func writesEveryLineInOrderByFlush() {
        let written = LockedBox(Data())
        let writer = BackgroundLineWriter(capacity: 1 << 20) { data in written.withLock { $0.append(data) } }
        for number in 0..<1_000 { writer.write(Self.line(number)) }
        writer.flush()
        let expected = (0..<1_000).reduce(into: Data()) { $0.append(Self.line($1)) }
        #expect(written.withLock { $0 } == expected)
    }

    @Test func aBlockedOutputNeverHoldsUpTheCallerAndDropsWhatDoesNotFit() {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let written = LockedBox(Data())
        let blocked = LockedBox(true)
        let writer = BackgroundLineWriter(capacity: 45) { data in
            if blocked.withLock({ $0 }) {
                entered.signal()
                release.wait()  // standard output that does not drain
            }
            written.withLock { $0.append(data) }
        }
        writer.write(Self.line(0))
        entered.wait()  // the writer thread is stuck in its first write
        blocked.withLock { $0 = false }
        // Each call returns while the output is stuck: four lines fit in 45 bytes, six are dropped.
        for number in 1...10 { writer.write(Self.line(number)) }
        release.signal()
        writer.flush()
        let lines = written.withLock { String(decoding: $0, as: UTF8.self) }.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(5)) == ["line 0000", "line 0001", "line 0002", "line 0003", "line 0004"])
        #expect(lines.count == 6 && lines[5].contains(#""dropped":6"#) && lines[5].contains("log lines dropped"), "\(lines)")
    }
}
