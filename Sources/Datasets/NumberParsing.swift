import Foundation

/// Decimal text to float, without allocating: `[+-]digits[.digits][(e|E)[+-]digits]`.
///
/// Up to 15 significant digits and exponents within ±22 take Clinger's exact fast
/// path in double precision (then rounded to float); anything else (more digits,
/// `inf`, hex) goes through `strtof`, correctly rounded. Leading and trailing
/// spaces are ignored.
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
    guard digits <= 15, scale >= -22, scale <= 22 else { return slowParse(start + first, end - first) }
    var value = Double(mantissa)
    value = scale < 0 ? value / powersOfTen[-scale] : value * powersOfTen[scale]
    // The double is the correctly rounded decimal; rounding it again to float is exact
    // unless it sits exactly on a float midpoint (or in float's subnormal range).
    if value.bitPattern & 0x1FFF_FFFF == 0x1000_0000 || (value != 0 && value < 1.2e-38) {
        return slowParse(start + first, end - first)
    }
    return Float(negative ? -value : value)
}

private let powersOfTen: [Double] = (0...22).map { Foundation.pow(10, Double($0)) }

/// `strtof` on a null-terminated copy; nil unless it consumes the whole text.
private func slowParse(_ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
    guard count < 512 else { return nil }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
        for k in 0..<count { buffer[k] = CChar(bitPattern: start[k]) }
        buffer[count] = 0
        var endPointer: UnsafeMutablePointer<CChar>?
        let value = strtof(buffer.baseAddress!, &endPointer)
        guard let endPointer, endPointer - buffer.baseAddress! == count else { return nil }
        return value
    }
}
