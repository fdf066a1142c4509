/// How deeply JSON text nests, found by one pass over its bytes before any parser sees it:
/// Foundation's parser recurses once per level, so text nested a hundred thousand levels
/// deep would overflow the stack instead of failing.
public enum JSONNesting {
    /// The deepest nesting that files read by AnomSynth may have (arrays and objects).
    public static let limit = 64

    /// Whether `bytes` nest arrays and objects deeper than `limit` (brackets inside strings
    /// do not count).
    public static func exceeds(_ bytes: some Sequence<UInt8>, limit: Int = JSONNesting.limit) -> Bool {
        var depth = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
