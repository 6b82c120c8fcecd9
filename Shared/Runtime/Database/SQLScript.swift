import Foundation

/// Splits a SQL script into single statements.
///
/// PostgresNIO speaks only the extended query protocol, which runs one statement per call,
/// so migration files are split here. Semicolons inside quotes, dollar-quoted bodies and
/// comments do not end a statement.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0

        func peek(_ offset: Int) -> Character? {
            let position = index + offset
            return position < characters.count ? characters[position] : nil
        }

        while index < characters.count {
            let character = characters[index]
            if character == "-", peek(1) == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "/", peek(1) == "*" {
                index += 2
                while index < characters.count, !(characters[index] == "*" && peek(1) == "/") { index += 1 }
                index += 2
                continue
            }
            if character == "'" || character == "\"" {
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        if peek(1) == character {  // doubled quote inside a literal
                            current.append(characters[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                continue
            }
            if character == "$", let tag = dollarTag(characters, at: index) {
                current.append(contentsOf: tag)
                index += tag.count
                while index < characters.count {
                    if characters[index] == "$", dollarTag(characters, at: index) == tag {
                        current.append(contentsOf: tag)
                        index += tag.count
                        break
                    }
                    current.append(characters[index])
                    index += 1
                }
                continue
            }
            if character == ";" {
                appendTrimmed(current, to: &statements)
                current = ""
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        appendTrimmed(current, to: &statements)
        return statements
    }

    /// The dollar-quote tag (`$$` or `$name$`) starting at `index`, if one starts there.
    private static func dollarTag(_ characters: [Character], at index: Int) -> String? {
        var end = index + 1
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        if end > index + 1, characters[index + 1].isNumber { return nil }  // `$1` is a parameter, not a tag
        return String(characters[index...end])
    }

    private static func appendTrimmed(_ statement: String, to statements: inout [String]) {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { statements.append(trimmed) }
    }
}
