import Foundation
import NIOPosix

/// Keeps webhook requests off the networks the platform runs in (server-side request forgery):
/// unless `notification.webhookPrivateNetworks` allows them, a webhook host that resolves to a
/// loopback, private, link-local (the cloud metadata address 169.254.169.254 among them), shared
/// (100.64.0.0/10), multicast or unspecified address is refused — when the endpoint is set and
/// again before every delivery. Redirects are never followed (`ServiceRuntime.makeHTTPClient`).
/// A host whose DNS answer changes between this check and the connection is not caught.
struct WebhookAddressPolicy: Sendable {
    let allowsPrivateNetworks: Bool

    /// Why a request to `url` is refused, or `nil` when it may go.
    /// - Throws: `WebhookError.unresolved` when its host has no address (the caller decides
    ///   whether that is worth a retry).
    func refusal(for url: String) async throws -> String? {
        guard !self.allowsPrivateNetworks else { return nil }
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return "the webhook URL has no host" }
        // URLComponents may keep an IPv6 literal's brackets, which getaddrinfo does not take.
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(name) }
        guard addresses.contains(where: Self.isPrivate) else { return nil }
        return "\(host) resolves to a loopback, private or link-local address, which webhooks may not reach"
            + " (notification.webhookPrivateNetworks allows them)"
    }

    /// Every IPv4 (4 bytes) and IPv6 (16 bytes) address of `host`, from getaddrinfo (blocking).
    static func resolve(_ host: String) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { throw WebhookError.unresolved(host) }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        for entry in sequence(first: first, next: { $0.pointee.ai_next }) {
            guard let address = entry.pointee.ai_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }) }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }) }
            default:
                continue
            }
        }
        return addresses
    }

    /// Whether an address (4 or 16 bytes) is one of the refused kinds; an IPv6 address that
    /// carries an IPv4 one (`::a.b.c.d` — `::` and `::1` among them —, `::ffff:a.b.c.d`, NAT64's
    /// `64:ff9b::a.b.c.d`, 6to4's `2002:abcd::`) is judged by it.
    static func isPrivate(_ address: [UInt8]) -> Bool {
        if address.count == 16 {
            let prefix = Array(address[0..<12])
            if prefix.allSatisfy({ $0 == 0 }) || prefix == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
                || prefix == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
            {
                return Self.isPrivate(Array(address[12..<16]))
            }
            let (a, b) = (address[0], address[1])
            if a == 0x20 && b == 0x02 { return Self.isPrivate(Array(address[2..<6])) }
            return a & 0xfe == 0xfc  // fc00::/7, unique local
                || a == 0xfe && b & 0x80 == 0x80  // fe80::/10 link-local, fec0::/10 site-local
                || a == 0xff  // multicast
        }
        guard address.count == 4 else { return true }
        let (a, b, c) = (address[0], address[1], address[2])
        return a == 0 || a == 10 || a == 127 || a >= 224  // this network, private, loopback, multicast and reserved
            || a == 100 && b & 0xc0 == 64  // 100.64.0.0/10, shared
            || a == 169 && b == 254  // link-local, the cloud metadata address
            || a == 172 && b & 0xf0 == 16 || a == 192 && b == 168  // private
            || a == 192 && b == 0 && c == 0 || a == 198 && b & 0xfe == 18  // protocol assignments, benchmarking
    }
}
