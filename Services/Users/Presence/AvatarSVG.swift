import Foundation

/// A generated avatar (seed 003 get-avatar): the initials on a circle whose colour comes from
/// the name, so a user keeps the same one. An SVG needs no image library and scales.
enum AvatarSVG {
    /// Background colours with enough contrast for white text.
    static let palette = [
        "#1abc9c", "#16a085", "#2ecc71", "#27ae60", "#3498db", "#2980b9", "#9b59b6", "#8e44ad", "#e67e22", "#d35400", "#e74c3c",
        "#c0392b", "#34495e", "#7f8c8d",
    ]

    /// Up to two initials, upper-cased: the first visible character of the first and last name,
    /// else of `fallback`, else `?` (spaces and control characters never make an initial; the
    /// SVG escapes the rest).
    static func initials(firstName: String?, lastName: String?, fallback: String? = nil) -> String {
        func initial(_ text: String?) -> Character? {
            text?.first { !$0.isWhitespace && !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
        }
        let letters = [firstName, lastName].compactMap(initial)
        if !letters.isEmpty { return String(letters).uppercased() }
        return initial(fallback).map { String($0).uppercased() } ?? "?"
    }

    /// The SVG document for `initials`, coloured by `seed` (FNV-1a, stable across runs).
    static func render(initials: String, seed: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in seed.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let colour = Self.palette[Int(hash % UInt32(Self.palette.count))]
        let text = initials.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">\
            <circle cx="64" cy="64" r="64" fill="\(colour)"/>\
            <text x="64" y="64" dy=".35em" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="52" \
            fill="#ffffff">\(text)</text></svg>
            """
    }
}
