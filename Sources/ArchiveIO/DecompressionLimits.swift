/// How far a compressed input may expand before it is refused as a decompression bomb.
/// Both limits are checked while decompressing, so memory and time stay bounded.
public struct DecompressionLimits: Equatable, Sendable {
    /// Decompressed bytes of one input (default 4 GiB).
    public var maximumBytes: Int
    /// Decompressed bytes per byte of the compressed file, checked once more than
    /// `ratioGrace` bytes came out (default 200; text data compresses 3–20 times).
    public var maximumRatio: Int
    /// Output below which the ratio is not checked (default 256 MiB): small files of
    /// repeated values compress very well.
    public var ratioGrace: Int

    public init(maximumBytes: Int = 4 << 30, maximumRatio: Int = 200, ratioGrace: Int = 256 << 20) {
        self.maximumBytes = maximumBytes
        self.maximumRatio = maximumRatio
        self.ratioGrace = ratioGrace
    }

    /// Why `produced` decompressed bytes from a `compressed`-byte file are too many, or nil.
    public func excess(produced: Int, compressed: Int) -> String? {
        if produced > maximumBytes {
            return "decompresses to more than \(maximumBytes) bytes, the limit for one input (a decompression bomb?); "
                + "raise it with --max-decompressed-bytes or the ingest parameter max_decompressed_bytes"
        }
        if produced > ratioGrace, compressed > 0, produced / compressed > maximumRatio {
            return "expands more than \(maximumRatio) times (\(compressed) bytes to more than \(produced)): a decompression bomb? "
                + "Raise the limit with --max-compression-ratio or the ingest parameter max_compression_ratio"
        }
        return nil
    }
}
