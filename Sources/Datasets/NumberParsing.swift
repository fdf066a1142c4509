import Foundation

/// Decimal text to float, without allocating: `[+-]digits[.digits][(e|E)[+-]digits]`.
///
/// Up to 19 significant digits and exponents within ±22 take Clinger's exact fast
/// path in double precision; anything else (more digits, `inf`, hex) goes through
/// `strtod`. Leading and trailing spaces are ignored.
/// - Returns: nil when the text is not a number.
@inline(__always)
func parseFloat(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    var i = 0, end = count
    while i < end, start[i] == 0x20 || start[i] == 0x09 { i += 1 }
    while end > i, start[end - 1] == 0x20 || start[end - 1] == 0x09 { end -= 1 }
    guard i < end else { return nil }
    let first = i
    var negative = false
    if start[i] == UInt8(ascii: "-") || start[i] == UInt8(ascii: "+") {
        negative = start[i] == UInt8(ascii: "-")
        i += 1
    }
    var mantissa: UInt64 = 0
    var digits = 0, scale = 0
    var sawDigit = false
    while i < end, start[i] &- 0x30 < 10 {
        if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(start[i] &- 0x30); if mantissa > 0 { digits += 1 } } else { scale += 1 }
        sawDigit = true
        i += 1
    }
    if i < end, start[i] == UInt8(ascii: ".") {
        i += 1
        while i < end, start[i] &- 0x30 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(start[i] &- 0x30); if mantissa > 0 { digits += 1 }; scale -= 1 }
            sawDigit = true
            i += 1
        }
    }
    guard sawDigit else { return slowParse(start + first, end - first) }
    if i < end, start[i] | 0x20 == UInt8(ascii: "e") {
        i += 1
        var exponentNegative = false
        if i < end, start[i] == UInt8(ascii: "-") || start[i] == UInt8(ascii: "+") {
            exponentNegative = start[i] == UInt8(ascii: "-")
            i += 1
        }
        var exponent = 0
        var sawExponentDigit = false
        while i < end, start[i] &- 0x30 < 10 {
            if exponent < 100_000 { exponent = exponent * 10 + Int(start[i] &- 0x30) }
            sawExponentDigit = true
            i += 1
        }
        guard sawExponentDigit else { return nil }
        scale += exponentNegative ? -exponent : exponent
    }
    guard i == end else { return nil }
    guard digits < 19, mantissa < (1 << 53), scale >= -22, scale <= 22 else { return slowParse(start + first, end - first) }
    var value = Double(mantissa)
    value = scale < 0 ? value / powersOfTen[-scale] : value * powersOfTen[scale]
    return Float(negative ? -value : value)
}

private let powersOfTen: [Double] = (0...22).map { Foundation.pow(10, Double($0)) }

/// `strtod` on a null-terminated copy; nil unless it consumes the whole text.
private func slowParse(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    guard count < 512 else { return nil }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
        for k in 0..<count { buffer[k] = CChar(bitPattern: start[k]) }
        buffer[count] = 0
        var endPointer: UnsafeMutablePointer<CChar>?
        let value = strtod(buffer.baseAddress!, &endPointer)
        guard let endPointer, endPointer - buffer.baseAddress! == count else { return nil }
        return Float(value)
    }
}
