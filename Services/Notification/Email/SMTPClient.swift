import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Sends one email per connection over SMTP (RFC 5321): EHLO, STARTTLS or implicit TLS, AUTH
/// PLAIN, MAIL/RCPT/DATA, QUIT. Written on SwiftNIO because no mirrored package speaks SMTP.
///
/// Every reply is checked; anything unexpected throws `SMTPError`, and the delivery queue retries
/// (except after a permanent 5xx answer, see `SMTPError.isPermanent`).
struct SMTPClient: Sendable {
    let settings: SMTPSettings
    let tls: NIOSSLContext?
    /// Bound on one whole send (connect to QUIT).
    let timeout: Duration

    init(settings: SMTPSettings, timeout: Duration = .seconds(30)) throws {
        self.settings = settings
        self.timeout = timeout
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile { configuration.additionalTrustRoots = [.file(caFile)] }
        self.tls = settings.security == .none ? nil : try NIOSSLContext(configuration: configuration)
    }

    /// The name TLS verifies the certificate against; `nil` for an IP address (no SNI for those).
    var serverHostname: String? {
        var address = in6_addr()
        let isIP = inet_pton(AF_INET, self.settings.host, &address) == 1 || inet_pton(AF_INET6, self.settings.host, &address) == 1
        return isIP ? nil : self.settings.host
    }

    func send(_ message: EmailMessage) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.deliver(message) }
            group.addTask {
                try await Task.sleep(for: self.timeout)
                throw SMTPError.timedOut
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func deliver(_ message: EmailMessage) async throws {
        let settings = self.settings
        let tls = self.tls
        let hostname = self.serverHostname
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if settings.security == .tls, let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(StartTLSGuard())
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(replies: inbound.makeAsyncIterator(), outbound: outbound)
            try await session.expect(220, after: .connect)
            var capabilities = try await session.command("EHLO \(Self.heloName)", expect: 250, name: .ehlo)
            if settings.security == .starttls, let tls {
                guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else { throw SMTPError.startTLSUnavailable }
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.handler(type: StartTLSGuard.self).arm()
                }.get()
                _ = try await session.command("STARTTLS", expect: 220, name: .startTLS)
                try await channel.channel.eventLoop.submit {
                    let pipeline = channel.channel.pipeline.syncOperations
                    let guardHandler = try pipeline.handler(type: StartTLSGuard.self)
                    guard !guardHandler.refusedPlaintext else { throw SMTPError.plaintextAfterStartTLS }
                    try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: hostname), position: .first)
                    guardHandler.handshakeStarts()
                }.get()
                capabilities = try await session.command("EHLO \(Self.heloName)", expect: 250, name: .ehlo)
            }
            if let username = settings.username, let password = settings.password {
                let credentials = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(credentials)", expect: 235, name: .auth)
            }
            _ = try await session.command("MAIL FROM:<\(EmailMessage.address(of: message.from))>", expect: 250, name: .mailFrom)
            _ = try await session.command("RCPT TO:<\(message.to)>", expect: [250, 251], name: .recipient)
            _ = try await session.command("DATA", expect: 354, name: .data)
            try await session.write(Self.dotStuffed(message.rendered()) + ".\r\n")
            try await session.expect(250, after: .message)
            // Accepted: the send is done. QUIT is not waited for, so a server slow to answer it
            // cannot turn a delivered message into a timeout and a second copy.
            try? await session.write("QUIT\r\n")
        }
    }

    /// The name this client gives in EHLO.
    static let heloName = "roster.localdomain"

    /// Lines starting with a dot get another one (RFC 5321 §4.5.2).
    static func dotStuffed(_ text: String) -> String {
        text.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }

    /// One conversation: commands out, multi-line replies in.
    private struct Session {
        var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        mutating func command(_ line: String, expect codes: Set<Int>, name: SMTPStep) async throws -> [String] {
            try await self.write(line + "\r\n")
            return try await self.expect(codes, after: name)
        }

        mutating func command(_ line: String, expect code: Int, name: SMTPStep) async throws -> [String] {
            try await self.command(line, expect: [code], name: name)
        }

        func write(_ text: String) async throws {
            try await self.outbound.write(ByteBuffer(string: text))
        }

        @discardableResult
        mutating func expect(_ code: Int, after step: SMTPStep) async throws -> [String] {
            try await self.expect([code], after: step)
        }

        /// Reads one reply (all its lines); throws unless its code is one of `codes`.
        @discardableResult
        mutating func expect(_ codes: Set<Int>, after step: SMTPStep) async throws -> [String] {
            var lines: [String] = []
            while true {
                guard var buffer = try await self.replies.next() else { throw SMTPError.closed(after: step) }
                let line = buffer.readString(length: buffer.readableBytes) ?? ""
                guard line.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError.malformedReply(after: step) }
                lines.append(String(line.dropFirst(4)))
                if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard codes.contains(code) else {
                    // The AUTH reply may echo what was sent; it stays out of errors (and `last_error`).
                    throw SMTPError.rejected(step: step, code: code, reply: step == .auth ? "" : String(line.prefix(200)))
                }
                return lines
            }
        }
    }
}

/// A step of the SMTP conversation, named in errors by its command.
enum SMTPStep: String, CustomStringConvertible, Sendable {
    case connect
    case ehlo = "EHLO"
    case startTLS = "STARTTLS"
    case auth = "AUTH"
    case mailFrom = "MAIL FROM"
    case recipient = "RCPT TO"
    case data = "DATA"
    case message = "the message"

    var description: String { self.rawValue }
}

/// Why an SMTP send failed (no credentials or message content in any case).
enum SMTPError: Error, CustomStringConvertible {
    case timedOut
    case closed(after: SMTPStep)
    case malformedReply(after: SMTPStep)
    case startTLSUnavailable
    case plaintextAfterStartTLS
    case rejected(step: SMTPStep, code: Int, reply: String)

    /// A 5xx answer (RFC 5321 §4.2.1, "permanent negative completion") to the recipient or to
    /// the message itself, such as 550 for an unknown mailbox: sending this message again would
    /// be refused again. A 5xx to an earlier step (a wrong password, a sender the server does not
    /// take) is the configuration's fault and fixable, and 552 may be temporary (§4.5.3.1.10):
    /// those are retried.
    var isPermanent: Bool {
        guard case .rejected(let step, let code, _) = self else { return false }
        return (step == .recipient || step == .message) && (500..<600).contains(code) && code != 552
    }

    var description: String {
        switch self {
        case .timedOut: "the SMTP server did not finish in time"
        case .closed(let step): "the SMTP server closed the connection after \(step)"
        case .malformedReply(let step): "the SMTP server's reply to \(step) was not SMTP"
        case .startTLSUnavailable: "the SMTP server does not offer STARTTLS (smtp.security is starttls)"
        case .plaintextAfterStartTLS:
            "the SMTP server sent more after agreeing to STARTTLS, before the TLS handshake (someone on the way may be injecting replies)"
        case .rejected(let step, let code, let reply): "the SMTP server refused \(step) with \(code): \(reply)"
        }
    }
}
