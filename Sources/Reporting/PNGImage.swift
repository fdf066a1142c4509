import CZlib
import Foundation

/// A PNG file (8-bit grayscale or RGB, no interlacing) encoded with zlib, for the image
/// grids that reports embed inline.
public enum PNGImage {
    /// Encodes `pixels` (row-major, `channels` values per pixel: 1 grayscale, 3 RGB).
    /// - Throws: `ReportError` when the sizes do not match or zlib fails.
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, channels == 1 || channels == 3, pixels.count == width * height * channels else {
            throw ReportError("PNG: \(pixels.count) values do not make a \(width)x\(height) image of \(channels) channel(s)")
        }
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth, colour type, compression, filter, interlace
        var scanlines = [UInt8]()
        scanlines.reserveCapacity(height * (1 + width * channels))
        for row in 0..<height {
            scanlines.append(0)  // filter type: none
            scanlines += pixels[(row * width * channels)..<((row + 1) * width * channels)]
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", try deflate(scanlines))
            + chunk("IEND", [])
    }

    /// A chunk: length, type, data, CRC-32 of type and data.
    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }

    /// zlib-wrapped deflate at the best compression (deterministic for the same input).
    private static func deflate(_ data: [UInt8]) throws -> [UInt8] {
        var size = compressBound(uLong(data.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        let status = output.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { compress2(out.baseAddress, &size, $0.baseAddress, uLong($0.count), Z_BEST_COMPRESSION) }
        }
        guard status == Z_OK else { throw ReportError("PNG: zlib could not compress the image (status \(status))") }
        return Array(output.prefix(Int(size)))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
}

/// A grid of same-shaped images (`[channels, height, width]`, values mapped from `range`
/// to black..white), a one-pixel gap between them, as a PNG.
public struct ImageGrid: Sendable {
    public var title: String
    public var caption: String
    /// The PNG's bytes.
    public var png: [UInt8]

    /// - Parameters:
    ///   - images: each image's values, channels first (NCHW order).
    ///   - shape: `[channels, height, width]`, 1 or 3 channels.
    ///   - range: the values shown as black and white (clamped outside).
    ///   - columns: images per grid row.
    ///   - scale: each pixel drawn as `scale` × `scale` pixels.
    /// - Throws: `ReportError` for an unsupported shape or no images.
    public init(title: String, caption: String = "", images: [[Float]], shape: [Int], range: ClosedRange<Float>,
                columns: Int = 10, scale: Int = 2) throws {
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, !images.isEmpty,
              images.allSatisfy({ $0.count == shape.reduce(1, *) }) else {
            throw ReportError("image grid '\(title)': needs images of shape [1 or 3, height, width], got \(shape) and \(images.count) image(s)")
        }
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let across = min(columns, images.count), down = (images.count + across - 1) / across
        let cellW = width * scale + 1, cellH = height * scale + 1
        let gridW = across * cellW - 1, gridH = down * cellH - 1
        var pixels = [UInt8](repeating: 255, count: gridW * gridH * channels)  // white gaps
        let span = max(range.upperBound - range.lowerBound, .leastNormalMagnitude)
        for (index, image) in images.enumerated() {
            let (left, top) = (index % across * cellW, index / across * cellH)
            for y in 0..<(height * scale) {
                for x in 0..<(width * scale) {
                    for c in 0..<channels {
                        let value = image[(c * height + y / scale) * width + x / scale]
                        let level = ((min(max(value, range.lowerBound), range.upperBound) - range.lowerBound) / span * 255).rounded()
                        pixels[((top + y) * gridW + left + x) * channels + c] = UInt8(level.isFinite ? level : 0)
                    }
                }
            }
        }
        self.title = title
        self.caption = caption
        self.png = try PNGImage.encode(width: gridW, height: gridH, channels: channels, pixels: pixels)
    }
}
