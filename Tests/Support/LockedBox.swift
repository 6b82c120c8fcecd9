import Foundation

/// A value that concurrent test tasks share (collected ids, counters).
public final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try self.lock.withLock { try body(&self.value) }
    }
}
