import Foundation

/// Decimal text to float, without allocating: `[+-]digits[.digits][(e|E)[+-]digits]`.
///
/// Up to 7 significant digits with exponents within ±10 take one exact float
/// operation; up to 15 digits within ±22 take Clinger's exact fast path in double
/// precision; anything else (more digits, `inf`, hex) goes through `strtof`. Every
/// path rounds correctly. Leading and trailing spaces are ignored.
/// - Returns: nil when the text is not a number.
@inline(__always)
func parseFloat(_ start: UnsafePointer<UInt8>, _ count: Int, powersOfTen: UnsafePointer<Double> = PowersOfTen.table) -> Float? {
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
    if mantissa < (1 << 24), scale >= -10, scale <= 10 {
        // Both operands are exact in float, so one IEEE operation rounds correctly.
        let power = Float(powersOfTen[abs(scale)])
        let magnitude = scale < 0 ? Float(mantissa) / power : Float(mantissa) * power
        return negative ? -magnitude : magnitude
    }
    var value = Double(mantissa)
    value = scale < 0 ? value / powersOfTen[-scale] : value * powersOfTen[scale]
    // The double is the correctly rounded decimal; rounding it again to float is exact
    // unless it sits exactly on a float midpoint (or in float's subnormal range).
    if value.bitPattern & 0x1FFF_FFFF == 0x1000_0000 || (value != 0 && value < 1.2e-38) {
        return slowParse(start + first, end - first)
    }
    return Float(negative ? -value : value)
}

/// 10^0 ... 10^22, each exact in double precision.
enum PowersOfTen {
    /// Allocated once and never freed; hot loops copy the pointer out of this global
    /// once rather than touching the global per number.
    nonisolated(unsafe) static let table: UnsafePointer<Double> = {
        let table = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        for exponent in 0...22 { table[exponent] = Foundation.pow(10, Double(exponent)) }
        return UnsafePointer(table)
    }()
}

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

/// Reads a plain decimal `[-]digits[.digits][(e|E)[+-]digits]` that ends at the first byte
/// that is not part of it, in one pass: the fast paths of `parseFloat` (7 significant digits
/// within 10^±10 in one float operation; 15 digits within 10^±22 in double precision).
///
/// - Precondition: a byte that is not a digit (the record's line break) follows `start`
///   within readable memory; the digits are read up to it without bounds checks.
/// - Returns: the value (correctly rounded) and the offset after it; nil for anything else
///   (long mantissas, far exponents, a double on a float midpoint, text), which the
///   general parser handles.
@inline(__always)
func parsePlainNumber(_ base: UnsafePointer<UInt8>, from start: Int, powersOfTen: UnsafePointer<Double>) -> (Float, Int)? {
    let negative = base[start] == UInt8(ascii: "-")
    var i = start &+ (negative ? 1 : 0)
    var mantissa: UInt64 = 0
    let digitsStart = i
    while base[i] &- 0x30 < 10 {
        mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30)
        i += 1
    }
    var digits = i - digitsStart
    var scale = 0
    if base[i] == UInt8(ascii: ".") {
        i += 1
        let fractionStart = i
        while base[i] &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30)
            i += 1
        }
        scale = fractionStart - i
        digits -= scale
    }
    guard digits > 0, digits <= 19 else { return nil }
    if base[i] | 0x20 == UInt8(ascii: "e") {
        var j = i + 1
        let exponentNegative = base[j] == UInt8(ascii: "-")
        if exponentNegative || base[j] == UInt8(ascii: "+") { j += 1 }
        let exponentStart = j
        var exponent = 0
        while base[j] &- 0x30 < 10, j - exponentStart < 4 {
            exponent = exponent * 10 + Int(base[j] &- 0x30)
            j += 1
        }
        guard j > exponentStart, base[j] &- 0x30 >= 10 else { return nil }
        scale += exponentNegative ? -exponent : exponent
        i = j
    }
    if mantissa < 1 << 24, scale >= -10, scale <= 10 {
        // Both operands are exact in float, so one IEEE operation rounds correctly.
        let power = Float(powersOfTen[abs(scale)])
        let magnitude = scale < 0 ? Float(mantissa) / power : Float(mantissa) * power
        return (negative ? -magnitude : magnitude, i)
    }
    guard mantissa < 1 << 53, scale >= -22, scale <= 22 else { return nil }
    let value = scale < 0 ? Double(mantissa) / powersOfTen[-scale] : Double(mantissa) * powersOfTen[scale]
    // Correctly rounded in double; again in float exactly unless on a float midpoint or subnormal.
    guard value.bitPattern & 0x1FFF_FFFF != 0x1000_0000, value == 0 || value >= 1.2e-38 else { return nil }
    return (Float(negative ? -value : value), i)
}
