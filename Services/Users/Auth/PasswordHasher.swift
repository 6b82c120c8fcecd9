import HummingbirdBcrypt
import NIOPosix
import RosterProtocol
import Synchronization

/// Hashes and checks passwords with bcrypt on its own small thread pool.
///
/// bcrypt at cost 12 takes a few hundred milliseconds of CPU. Run on the event loops or the
/// cooperative pool it would stall every other request; here at most `threads` hashes run
/// at once and at most `queueLimit` wait, beyond which sign-ins get a 429 `busy` to retry.
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
            throw TooManyHashes()
        }
        return try await self.pool.runIfActive(work)
    }
}

/// Too many password checks are waiting: a 429 `busy` the client retries shortly.
struct TooManyHashes: Error {}
