/// The one spelling of a phone number Roster stores and matches: `+` and 7 to 15 digits.
public enum PhoneNumber {
    /// `+1 (415) 555-0123` → `+14155550123`; `nil` when it is not a phone number.
    public static func normalize(_ value: String) -> String? {
        let kept = value.filter { !" -().".contains($0) }
        let digits = kept.hasPrefix("+") ? kept.dropFirst() : Substring(kept)
        guard (7...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return "+" + digits
    }
}
