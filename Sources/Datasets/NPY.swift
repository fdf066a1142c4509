import TensorCore

/// NumPy's `.npy` format (version 1.0 written; 1.0–3.0 read): a magic string, a
/// header dict (`descr`, `fortran_order`, `shape`) padded to 64 bytes, then the data.
public enum NPY {
    /// An array read from a `.npy` file, with its values widened or narrowed to float32.
    public struct Array: Equatable {
        public var shape: [Int]
        /// numpy's type string, e.g. `<f4`, `|u1`.
        public var descr: String
        public var values: [Float]

        public init(shape: [Int], descr: String, values: [Float]) {
            self.shape = shape
            self.descr = descr
            self.values = values
        }
    }

    /// Encodes a float32 tensor (any rank) as `<f4`, C order.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        tensor.withUnsafeBufferPointer { withHeader(descr: "<f4", shape: tensor.shape, values: $0) }
    }

    /// Calls `body` with the `.npy` encoding of `tensor` in parts, the header and then the
    /// values, without copying the values (on little-endian machines; elsewhere one part).
    public static func withEncoded<R>(_ tensor: Tensor, _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        #if _endian(little)
        let head = header(descr: "<f4", shape: tensor.shape)
        return try head.withUnsafeBytes { head in
            try tensor.withUnsafeBufferPointer { values in try body([head, UnsafeRawBufferPointer(values)]) }
        }
        #else
        return try encode(tensor).withUnsafeBytes { try body([$0]) }
        #endif
    }

    /// The header followed by the values' bytes, little-endian.
    private static func withHeader<T: FixedWidthInteger>(descr: String, shape: [Int], integers values: UnsafeBufferPointer<T>) -> [UInt8] {
        var bytes = header(descr: descr, shape: shape)
        bytes.reserveCapacity(bytes.count + values.count * MemoryLayout<T>.size)
        #if _endian(little)
        bytes.append(contentsOf: UnsafeRawBufferPointer(values))
        #else
        for value in values { appendLittleEndian(value, to: &bytes) }
        #endif
        return bytes
    }

    private static func withHeader(descr: String, shape: [Int], values: UnsafeBufferPointer<Float>) -> [UInt8] {
        values.withMemoryRebound(to: UInt32.self) { withHeader(descr: descr, shape: shape, integers: $0) }
    }

    /// Encodes a vector of bytes as `|u1`.
    public static func encode(_ values: [UInt8]) -> [UInt8] {
        values.withUnsafeBufferPointer { withHeader(descr: "|u1", shape: [values.count], integers: $0) }
    }

    /// Encodes a vector of 32-bit integers as `<i4`.
    public static func encode(_ values: [Int32]) -> [UInt8] {
        values.withUnsafeBufferPointer { withHeader(descr: "<i4", shape: [values.count], integers: $0) }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Swift.Array("NUMPY".utf8) + [1, 0]
        appendLittleEndian(UInt16(dict.utf8.count), to: &bytes)
        return bytes + Swift.Array(dict.utf8)
    }

    /// What a `.npy` header says: the element type, the shape and where the data starts.
    public struct Header: Equatable, Sendable {
        /// numpy's type string, e.g. `<f4`, `|u1`.
        public var descr: String
        public var shape: [Int]
        /// Bytes before the data: magic string, version, header length and header dict.
        public var dataOffset: Int
        /// Bytes of one element.
        public var width: Int
        /// Elements in the array (the product of the shape, checked not to overflow).
        public var count: Int
        /// Bytes of data the shape and type call for (checked not to overflow).
        public var dataBytes: Int
        /// Stored column-major (numpy's `fortran_order`); `values` returns C order either way.
        public var fortranOrder = false
        /// Whether the data are float32 in this machine's byte order: a `[Float]`'s bytes as they are.
        public var isNativeFloat32: Bool {
            #if _endian(little)
            return descr == "<f4" || descr == "=f4"
            #else
            return descr == ">f4" || descr == "=f4"
            #endif
        }
    }

    /// Bytes that give a header's length (`headerLength(_:source:)`): magic, version and length field.
    public static let preambleBytes = 12

    /// The length of the whole header (magic string to the end of the dict) from the file's
    /// first `preambleBytes` bytes (or all of a shorter file).
    /// - Throws: `DatasetError` for a bad magic string or an unsupported version.
    public static func headerLength(_ bytes: some RandomAccessCollection<UInt8>, source: String) throws -> Int {
        let bytes = Swift.Array(bytes.prefix(preambleBytes))
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1..<6]) == Swift.Array("NUMPY".utf8) else {
            throw DatasetError(source, "not a .npy file (no \\x93NUMPY magic string)")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard major >= 1, major <= 3, bytes.count >= 8 + lengthBytes else { throw DatasetError(source, ".npy version \(major) is not supported") }
        let length = 8 + lengthBytes + (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard length >= preambleBytes else { throw DatasetError(source, ".npy header is empty (no dict after the magic string)") }
        return length
    }

    /// Parses the header at the start of `bytes` (at least `headerLength` of them).
    /// - Throws: `DatasetError` naming the file: a bad magic string or header, an
    ///   unsupported dtype, a truncated header.
    public static func header(_ bytes: [UInt8], source: String) throws -> Header {
        let dataStart = try headerLength(bytes, source: source)
        guard dataStart <= bytes.count else { throw DatasetError(source, "truncated .npy header") }
        let dict = String(decoding: bytes[(bytes[6] == 1 ? 10 : 12)..<dataStart], as: UTF8.self)
        guard let descr = value(of: "descr", in: dict).map({ $0.trimmingCharacters(in: "'\"") }),
              let order = value(of: "fortran_order", in: dict), let shapeText = value(of: "shape", in: dict) else {
            throw DatasetError(source, ".npy header lacks descr, fortran_order or shape: \(dict.trimmingSpaces)")
        }
        guard order == "False" || order == "True" else { throw DatasetError(source, ".npy fortran_order is \(order), expected True or False") }
        let shapeParts = shapeText.trimmingCharacters(in: "()").split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        let shape = try shapeParts.map { part -> Int in
            guard let extent = Int(part), extent >= 0 else { throw DatasetError(source, ".npy shape \(shapeText) is not a tuple of sizes") }
            return extent
        }
        guard let (width, _) = converter(for: descr) else {
            throw DatasetError(source, ".npy dtype \(descr) is not supported (float, int, uint or bool)")
        }
        let (count, dataBytes) = try ShapeArithmetic.sizes(of: shape, width: width, source: source, format: ".npy")
        return Header(descr: descr, shape: shape, dataOffset: dataStart, width: width, count: count, dataBytes: dataBytes,
                      fortranOrder: order == "True")
    }

    /// Checks that `dataBytes` bytes follow the header, as its shape and type call for.
    public static func checkDataLength(_ dataBytes: Int, _ header: Header, source: String) throws {
        guard dataBytes == header.dataBytes else {
            throw DatasetError(source, ".npy data is \(dataBytes) bytes, shape \(describe(header.shape)) of \(header.descr) needs \(header.dataBytes)"
                + (dataBytes < header.dataBytes ? " (truncated file)" : ""))
        }
    }

    /// The data after `header`, widened or narrowed to float32, in C order.
    /// - Precondition: `data` holds `header.dataBytes` bytes.
    public static func values(_ data: UnsafeRawBufferPointer, header: Header) -> [Float] {
        let count = header.count
        let stored: [Float]
        if header.isNativeFloat32 {
            stored = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: data)
                initialized = count
            }
        } else {
            let (width, convert) = converter(for: header.descr)!
            stored = (0..<count).map { convert(UnsafeRawBufferPointer(rebasing: data[($0 * width)..<(($0 + 1) * width)])) }
        }
        return header.fortranOrder && header.shape.count > 1 ? cOrder(fromFortran: stored, shape: header.shape) : stored
    }

    /// Column-major values in row-major order: element `[i0, …, ik]` sits at `Σ i_j · Π_{l<j} shape_l`.
    private static func cOrder(fromFortran values: [Float], shape: [Int]) -> [Float] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropFirst() { strides[axis] = strides[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: shape.count), offset = 0
        return [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            for position in 0..<values.count {
                buffer[position] = values[offset]
                // Advance the C-order index, last axis fastest, keeping the Fortran offset.
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += strides[axis]
                    if index[axis] < shape[axis] { break }
                    offset -= strides[axis] * shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
            initialized = values.count
        }
    }

    /// Decodes a `.npy` file of float, integer or bool elements (C or Fortran order).
    /// - Throws: `DatasetError` naming the file: a bad magic string or header, an unsupported dtype, or data shorter or longer than the shape says.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Array {
        let header = try Self.header(bytes, source: source)
        try checkDataLength(bytes.count - header.dataOffset, header, source: source)
        let decoded = bytes.withUnsafeBytes { values(UnsafeRawBufferPointer(rebasing: $0[header.dataOffset...]), header: header) }
        return Array(shape: header.shape, descr: header.descr, values: decoded)
    }

    /// The text of `key`'s value in a Python dict literal (up to the next top-level comma).
    private static func value(of key: String, in dict: String) -> String? {
        guard let keyRange = dict.range(of: "'\(key)'") ?? dict.range(of: "\"\(key)\"") else { return nil }
        var rest = dict[keyRange.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        var depth = 0
        var end = rest.startIndex
        while end < rest.endIndex {
            let c = rest[end]
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 } else if (c == "," || c == "}") && depth == 0 { break }
            end = rest.index(after: end)
        }
        return String(rest[..<end]).trimmingSpaces
    }

    private static func converter(for descr: String) -> (Int, (UnsafeRawBufferPointer) -> Float)? {
        let little = descr.first != ">"
        func integer<T: FixedWidthInteger>(_ type: T.Type) -> (Int, (UnsafeRawBufferPointer) -> Float) {
            (MemoryLayout<T>.size, { raw in
                let value = raw.loadUnaligned(as: T.self)
                return Float(little ? T(littleEndian: value) : T(bigEndian: value))
            })
        }
        switch descr.dropFirst() {
        case "f4": return (4, { raw in
            let bits = raw.loadUnaligned(as: UInt32.self)
            return Float(bitPattern: little ? UInt32(littleEndian: bits) : UInt32(bigEndian: bits))
        })
        case "f8": return (8, { raw in
            let bits = raw.loadUnaligned(as: UInt64.self)
            return Float(Double(bitPattern: little ? UInt64(littleEndian: bits) : UInt64(bigEndian: bits)))
        })
        case "u1", "b1": return integer(UInt8.self)
        case "i1": return integer(Int8.self)
        case "u2": return integer(UInt16.self)
        case "i2": return integer(Int16.self)
        case "u4": return integer(UInt32.self)
        case "i4": return integer(Int32.self)
        case "u8": return integer(UInt64.self)
        case "i8": return integer(Int64.self)
        default: return nil
        }
    }
}
