import AsyncHTTPClient
import Foundation
import RosterProtocol

/// One real service binary, started as its own process with a log file.
///
/// Output of every start is appended to the same log, so tests can read what a service
/// printed across restarts.
public final class ServiceProcess: @unchecked Sendable {
    public let service: ServiceName
    public let port: Int
    public let logFile: URL
    /// The variables it starts with (`ROSTER_*`).
    public var environment: [String: String] { self.lock.withLock { self.variables } }
    private var variables: [String: String]
    private let lock = NSLock()
    private var process: Process?

    public init(service: ServiceName, port: Int, logFile: URL, environment: [String: String]) {
        self.service = service
        self.port = port
        self.logFile = logFile
        self.variables = environment
    }

    /// Changes variables for the next start (e.g. to restart with rotated keys).
    public func override(_ values: [String: String]) {
        self.lock.withLock { self.variables.merge(values) { _, new in new } }
    }

    /// Starts the binary (not waiting for readiness).
    public func start() throws {
        let process = Process()
        process.executableURL = try TestEnvironment.binaryDirectory.appendingPathComponent(self.service.productName)
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ROSTER_") }
            .merging(self.environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: self.logFile.path) {
            _ = FileManager.default.createFile(atPath: self.logFile.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: self.logFile)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.lock.withLock { self.process = process }
    }

    /// Starts the binary and waits until `/health/ready` answers 200.
    public func startAndWait(http: HTTPClient, timeout: Duration = .seconds(60)) async throws {
        try self.start()
        try await self.waitUntilReady(http: http, timeout: timeout)
    }

    public func waitUntilReady(http: HTTPClient, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !self.isRunning {
                throw TestSetupError("\(self.service.productName) exited during start:\n\(self.log().suffix(3000))")
            }
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(self.port)/health/ready")
            if let response = try? await http.execute(request, timeout: .seconds(2)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("\(self.service.productName) was not ready in time:\n\(self.log().suffix(3000))")
    }

    public var isRunning: Bool { self.lock.withLock { self.process?.isRunning ?? false } }

    public var pid: Int32? { self.lock.withLock { self.process?.processIdentifier } }

    /// Sends SIGTERM (graceful drain).
    public func terminate() {
        self.signal(SIGTERM)
    }

    /// Sends SIGKILL (a crash: no drain, nothing flushed).
    public func kill() {
        self.signal(SIGKILL)
    }

    public func signal(_ signal: Int32) {
        if let pid = self.pid, self.isRunning { Foundation.kill(pid, signal) }
    }

    /// Waits for the process to end and returns its exit status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.isRunning {
            guard ContinuousClock.now < deadline else { throw TestSetupError("\(self.service.productName) did not exit in time") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return self.lock.withLock { self.process?.terminationStatus ?? 0 }
    }

    /// Stops gracefully and waits.
    public func stop() async throws {
        self.terminate()
        try await self.waitForExit()
    }

    /// Everything the service printed so far.
    public func log() -> String {
        (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
    }
}
