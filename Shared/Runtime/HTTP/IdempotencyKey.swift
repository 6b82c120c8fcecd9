import HTTPTypes
import Hummingbird
import RosterProtocol

/// The `Idempotency-Key` header of POSTs and bulk requests: a retry with the same key returns
/// the first result instead of doing the work again.
public enum IdempotencyKey {
    public static let field = HTTPField.Name("Idempotency-Key")!

    /// The key, `nil` when absent; 400 when it is not 1 to 200 visible ASCII characters.
    public static func read(_ request: Request) throws -> String? {
        guard let key = request.headers[self.field] else { return nil }
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem.badRequest(
                "Idempotency-Key must be 1 to 200 visible ASCII characters.", code: "invalid_header",
                errors: [.init(field: "Idempotency-Key", code: "invalid_header", message: "1 to 200 visible ASCII characters")])
        }
        return key
    }
}
