/// Lowercase hexadecimal of bytes: digests, random ids and tokens.
///
/// One table lookup per nibble; `String(format: "%02x")` per byte cost several percent of a
/// point read when request ids were made with it.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex, two digits per byte.
    public static func encode(_ sequence: some Sequence<UInt8>) -> String {
        let bytes = Array(sequence)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var index = 0
            for byte in bytes {
                buffer[index] = self.digits[Int(byte >> 4)]
                buffer[index + 1] = self.digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }
}
