import HummingbirdBcrypt
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif
import RosterProtocol
import RosterRuntime
import Synchronization

/// Hashes and checks passwords with bcrypt on its own small thread pool.
///
/// bcrypt at cost 12 takes a few hundred milliseconds of CPU. Run on the event loops or the
/// cooperative pool it would stall every other request; here at most `threads` hashes run
/// at once and at most `queueLimit` are taken (running and waiting), beyond which sign-ins
/// get a 429 `busy` to retry.
/// The hashing threads also run at a lower scheduling priority (nice 10 on Linux), so under
/// load the CPU goes to request handling first and sign-ins wait instead.
final class PasswordHasher: Sendable {
    private let pool: NIOThreadPool
    private let cost: UInt8
    private let queueLimit: Int
    private let waiting = Atomic<Int>(0)
    /// A real hash of a random password: checked when no account matched, so a sign-in for an
    /// unknown account takes as long as one with a wrong password.
    private let decoy: String

    init(threads: Int, cost: Int, queueLimit: Int) {
        self.pool = NIOThreadPool(numberOfThreads: threads)
        self.pool.start()
        self.cost = UInt8(cost)
        self.queueLimit = queueLimit
        self.decoy = Bcrypt.hash(EntityID.generate().description, cost: UInt8(cost))
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await self.run { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether a stored hash was made with another cost (it is replaced at the next sign-in).
    func needsRehash(_ hash: String) -> Bool {
        let parts = hash.split(separator: "$")
        return parts.count < 3 || UInt8(parts[1]) != self.cost
    }

    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let decoy = self.decoy
        return try await self.run {
            guard let hash else {
                _ = Bcrypt.verify(password, hash: decoy)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let queued = self.waiting.wrappingAdd(1, ordering: .relaxed).newValue
        defer { self.waiting.wrappingSubtract(1, ordering: .relaxed) }
        guard queued <= self.queueLimit else {
            throw TooManyRequests(retryAfter: 1, code: "busy", detail: "Too many password operations at once.")
        }
        return try await self.pool.runIfActive {
            Self.lowerPriority()
            return work()
        }
    }

    /// Lowers the calling thread's priority (idempotent). On Linux the nice value belongs to
    /// the thread, and `who = 0` names the calling thread.
    private static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
        #endif
    }

    static let niceness: Int32 = 10
}

