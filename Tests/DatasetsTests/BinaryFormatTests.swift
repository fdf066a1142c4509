import Datasets
import Foundation
import TensorCore
import TestSupport
import XCTest

final class BinaryFormatTests: XCTestCase {
    func test_npy_writtenByNumpy_decodes_andOursRoundTrips() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("matrix-f8.npy"))))
        let array = try NPY.decode(bytes, source: "matrix-f8.npy")
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertEqual(array.values, [1.5, -2, 3.25, 4, 5.5, -6.75])
        let tensor = try Tensor(rows: [[1, 2], [3, 4]])
        let encoded = NPY.encode(tensor)
        XCTAssertEqual((encoded.count - 16) % 64, 0, "header padded to 64 bytes")
        XCTAssertEqual(try NPY.decode(encoded, source: "x").values, tensor.scalars)
        XCTAssertEqual(try NPY.decode(NPY.encode([Int32(-3), 7]), source: "x").values, [-3, 7])
    }

    func test_fortranOrderedNPY_readsInCOrder() throws {
        // numpy: np.save(f, np.asfortranarray(np.arange(12.0).reshape(2, 3, 2)))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("fortran-2x3x2.npy"))))
        let array = try NPY.decode(bytes, source: "fortran-2x3x2.npy")
        XCTAssertEqual(array.shape, [2, 3, 2])
        XCTAssertEqual(array.values, (0..<12).map(Float.init))
    }

    func test_truncatedNPY_isAClearError_andFortranFlagTransposes() throws {
        let encoded = NPY.encode(try Tensor(rows: [[1, 2], [3, 4]]))
        XCTAssertEqual(errorMessage { try NPY.decode(Array(encoded.dropLast(3)), source: "t.npy") },
                       "t.npy: .npy data is 13 bytes, shape [2, 2] of <f4 needs 16 (truncated file)")
        XCTAssertEqual(errorMessage { try NPY.decode(Array("hello".utf8), source: "t.npy") }, "t.npy: not a .npy file (no \\x93NUMPY magic string)")
        var fortran = encoded
        let at = (0..<encoded.count - 5).first { Array(encoded[$0..<$0 + 5]) == Array("False".utf8) }!
        fortran.replaceSubrange(at..<at + 5, with: Array("True ".utf8))
        XCTAssertEqual(try NPY.decode(fortran, source: "f.npy").values, [1, 3, 2, 4], "the same bytes read column by column")
    }

    func test_idx_decodes_andWrongMagicIsAnError() throws {
        let labels = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("tiny-labels-idx1-ubyte"))))
        XCTAssertEqual(try IDXReader.decode(labels, source: "l").values, [0, 1, 2, 3, 4, 5])
        var wrong = labels
        wrong[0] = 8
        XCTAssertEqual(errorMessage { try IDXReader.decode(wrong, source: "l.idx") },
                       "l.idx: not an IDX file: the magic number must start with two zero bytes")
        XCTAssertEqual(errorMessage { try IDXReader.decode(Array(labels.dropLast()), source: "l.idx") },
                       "l.idx: IDX data is 5 bytes, dimensions [6] need 6 (truncated file)")
    }

    func test_npyHeader_withAnEmptyDict_isAnError() {
        // Found by the archive fuzz target: a length field of 0 made the header shorter than its preamble.
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 0, 0] + [0, 0, 0, 0]
        XCTAssertEqual(errorMessage { try NPY.decode(bytes, source: "e.npy") }, "e.npy: .npy header is empty (no dict after the magic string)")
    }
}
