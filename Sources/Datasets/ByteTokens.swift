#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == [UInt8] {
    /// The index of the first token equal to the `count` bytes at `start` (missing-value
    /// texts, anomaly values of a label), if any.
    @inline(__always)
    func firstIndex(matching start: UnsafePointer<UInt8>, count: Int) -> Int? {
        firstIndex { token in
            token.count == count && (count == 0 || token.withUnsafeBufferPointer { memcmp($0.baseAddress!, start, count) == 0 })
        }
    }
}
