import Foundation

/// A loopback SMTP server (aiosmtpd) or webhook receiver run by the tests, which records what
/// it receives as JSON lines. Python comes from the test command's venv (`ROSTER_TEST_PYTHON`).
public final class Sink: @unchecked Sendable {
    /// Which script runs.
    public enum Kind: String, Sendable {
        case mail = "mail_sink.py"
        case webhook = "webhook_sink.py"
        /// A man in the middle of a STARTTLS upgrade (records what the client sends after it).
        case startTLSInjector = "starttls_injector.py"
    }

    public let kind: Kind
    public let port: Int
    public let output: URL
    /// Further arguments of the script (the mail sink's certificate, key, user and password).
    public let arguments: [String]
    private var process: Process?

    public init(_ kind: Kind, arguments: [String] = []) throws {
        self.kind = kind
        self.arguments = arguments
        self.port = try Shell.freePort()
        self.output = FileManager.default.temporaryDirectory.appendingPathComponent("roster-\(kind)-\(Shell.randomText(8)).jsonl")
        _ = FileManager.default.createFile(atPath: self.output.path, contents: nil)
    }

    deinit { self.stop() }

    /// Starts the sink and waits until it accepts connections.
    public func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.python)
        process.arguments = [
            TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Support/\(self.kind.rawValue)").path, "\(self.port)", self.output.path,
        ] + self.arguments
        let ready = Pipe()
        process.standardOutput = ready
        try process.run()
        self.process = process
        let line = await Task.detached { String(decoding: ready.fileHandleForReading.readData(ofLength: 6), as: UTF8.self) }.value
        guard line.hasPrefix("ready") else { throw TestSetupError("the \(self.kind) sink did not start") }
    }

    /// Stops the sink (what it recorded stays). SIGKILL: a child started from a Swift thread
    /// inherits that thread's blocked signals, SIGTERM among them.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Everything received so far, one JSON object each.
    public func received() -> [[String: Any]] {
        let text = (try? String(contentsOf: self.output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
