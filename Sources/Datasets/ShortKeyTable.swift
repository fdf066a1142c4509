/// Category indices of short values (1 to 7 bytes) keyed by their bytes packed in one
/// integer: a cache in front of a column's `[String: Int]`, cheap enough to probe for
/// every field (no string is made, no SipHash run). Open addressing, linear probing.
struct ShortKeyTable {
    /// Packed keys, 0 for an empty slot (a key's top byte holds its length, never 0).
    private var keys = [UInt64](repeating: 0, count: 16)
    private var values = [Int32](repeating: 0, count: 16)
    private var count = 0

    /// The key of `length` bytes at `start`; nil when the value is empty or longer than 7 bytes.
    @inline(__always)
    static func key(_ start: UnsafePointer<UInt8>, _ length: Int) -> UInt64? {
        guard length > 0, length <= 7 else { return nil }
        var key = UInt64(length) << 56
        for i in 0..<length { key |= UInt64(start[i]) << UInt64(8 * i) }
        return key
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & (keys.count - 1)
    }

    /// The value stored for `key`, if any.
    @inline(__always)
    func value(_ key: UInt64) -> Int? {
        var at = slot(key)
        while keys[at] != 0 {
            if keys[at] == key { return Int(values[at]) }
            at = (at + 1) & (keys.count - 1)
        }
        return nil
    }

    /// Stores `value` for `key` (which must not be stored yet).
    mutating func insert(_ key: UInt64, _ value: Int) {
        if (count + 1) * 2 > keys.count {
            let old = zip(keys, values).filter { $0.0 != 0 }
            keys = [UInt64](repeating: 0, count: keys.count * 2)
            values = [Int32](repeating: 0, count: keys.count)
            count = 0
            for (key, value) in old { insert(key, Int(value)) }
        }
        var at = slot(key)
        while keys[at] != 0 { at = (at + 1) & (keys.count - 1) }
        keys[at] = key
        values[at] = Int32(truncatingIfNeeded: value)
        count += 1
    }
}
