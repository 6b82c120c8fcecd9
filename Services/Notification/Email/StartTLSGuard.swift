import NIOCore

/// Refuses plaintext that arrives between the server's go-ahead to STARTTLS and the start of
/// the TLS handshake (RFC 3207 §6; "STARTTLS command injection"). A man in the middle could append
/// lines to the 220 in the same packet; without this guard they would sit in the buffers and be
/// read afterwards as if they had come over TLS. Sits after the line decoder, so it sees lines;
/// the client checks `refusedPlaintext` before it starts the handshake. (A partial line, with no
/// line end yet, stays in the decoder unseen; it can only spoil the first reply over TLS, which
/// is checked like any other.)
final class StartTLSGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        /// Lines pass.
        case open
        /// STARTTLS was sent: lines pass until the last line of its reply.
        case awaitingGoAhead
        /// The reply is complete: nothing may arrive before the TLS handler is in place.
        case awaitingHandshake
    }

    private var state = State.open
    /// Whether plaintext came while the handshake was awaited (it was dropped).
    private(set) var refusedPlaintext = false

    /// Called on the channel's event loop just before STARTTLS is sent.
    func arm() {
        self.state = .awaitingGoAhead
    }

    /// Called on the event loop in the step that puts the TLS handler in front: every byte
    /// from then on passes through it, so the lines that reach this guard came over TLS.
    func handshakeStarts() {
        self.state = .open
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state {
        case .open:
            context.fireChannelRead(data)
        case .awaitingGoAhead:
            // The last line of a reply has a space (not a hyphen) after its code.
            let line = self.unwrapInboundIn(data)
            if line.readableBytes <= 3 || line.getInteger(at: line.readerIndex + 3, as: UInt8.self) != UInt8(ascii: "-") {
                self.state = .awaitingHandshake
            }
            context.fireChannelRead(data)
        case .awaitingHandshake:
            self.refusedPlaintext = true
            context.fireErrorCaught(SMTPError.plaintextAfterStartTLS)
        }
    }
}
