import TensorCore

/// Turns the text fields of records into feature values, a label and column
/// statistics, for every text reader (CSV, KEEL, ARFF).
final class RowConverter {
    private let source: String
    private(set) var kinds: [ColumnKind]
    private let names: [String]
    /// Position of the label among the fields, if any.
    private let labelIndex: Int?
    private let positive: [[UInt8]]
    private var positiveSeen: [Bool]
    private var labelValuesSeen: [String] = []
    /// Categorical columns whose categories were declared up front (ARFF/KEEL nominal
    /// attributes) reject other values; the others gain categories as they appear.
    private let declaredCategories: [Bool]
    private var categoryIndex: [[String: Int]]
    private let missing: [[UInt8]]
    private(set) var features: [Float] = []
    private(set) var labels: [UInt8] = []

    /// - Parameters:
    ///   - kinds: one per field, label included (its kind is ignored).
    init(source: String, names: [String], kinds: [ColumnKind], label: LabelSpec?, labelIndex: Int?,
         missing: [String]) {
        self.source = source
        self.names = names
        self.kinds = kinds
        self.labelIndex = labelIndex
        self.positive = (label?.positive ?? []).map { Array($0.utf8) }
        self.positiveSeen = [Bool](repeating: false, count: label?.positive.count ?? 0)
        self.declaredCategories = kinds.map { ($0.categoriesIfAny?.isEmpty == false) }
        self.missing = missing.map { Array($0.utf8) }
        self.categoryIndex = kinds.map { kind in
            guard case .categorical(let categories) = kind else { return [:] }
            return Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Reserves room for about `rows` rows.
    func reserve(rows: Int) {
        features.reserveCapacity(rows * (kinds.count - (labelIndex == nil ? 0 : 1)))
        labels.reserveCapacity(rows)
    }

    @inline(__always)
    private func trimmed(_ start: UnsafePointer<UInt8>, _ count: Int) -> (UnsafePointer<UInt8>, Int) {
        var s = start, n = count
        while n > 0, s[0] == 0x20 || s[0] == 0x09 { s += 1; n -= 1 }
        while n > 0, s[n - 1] == 0x20 || s[n - 1] == 0x09 { n -= 1 }
        return (s, n)
    }

    @inline(__always)
    private func isMissing(_ start: UnsafePointer<UInt8>, _ count: Int, quoted: Bool) -> Bool {
        if count == 0 { return !quoted }
        for token in missing where token.count == count {
            if token.withUnsafeBufferPointer({ memcmp($0.baseAddress!, start, count) == 0 }) { return true }
        }
        return false
    }

    /// Appends one record: every field in order, the label field included.
    /// - Throws: `DatasetError` naming the line and column for a value that does not fit.
    func append(_ fields: [CSVTokenizer.Field], line: Int) throws {
        var label: UInt8 = 0
        for (j, field) in fields.enumerated() {
            let (start, count) = trimmed(field.start, field.count)
            if j == labelIndex {
                label = try labelValue(start, count, line: line)
                continue
            }
            if isMissing(start, count, quoted: field.quoted) {
                features.append(.nan)
                continue
            }
            switch kinds[j] {
            case .numeric(let integer):
                guard let value = parseFloat(start, count), !value.isNaN else {
                    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
                    throw DatasetError(source, line: line,
                                       "column '\(names[j])': '\(text)' is not a number (declare the column categorical if it holds text)")
                }
                if integer, value != value.rounded() { kinds[j] = .numeric(integer: false) }
                features.append(value)
            case .categorical(let categories):
                let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
                if let index = categoryIndex[j][text] {
                    features.append(Float(index))
                } else if !declaredCategories[j] {
                    categoryIndex[j][text] = categories.count
                    kinds[j] = .categorical(categories: categories + [text])
                    features.append(Float(categories.count))
                } else {
                    throw DatasetError(source, line: line,
                                       "column '\(names[j])': '\(text)' is not one of its declared values \(categories)")
                }
            }
        }
        labels.append(label)
    }

    private func labelValue(_ start: UnsafePointer<UInt8>, _ count: Int, line: Int) throws -> UInt8 {
        guard count > 0 else { throw DatasetError(source, line: line, "the label column '\(names[labelIndex!])' is empty") }
        for (k, value) in positive.enumerated() where value.count == count {
            if value.withUnsafeBufferPointer({ memcmp($0.baseAddress!, start, count) == 0 }) {
                positiveSeen[k] = true
                return 1
            }
        }
        if labelValuesSeen.count < 20 {
            let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            if !labelValuesSeen.contains(text) { labelValuesSeen.append(text) }
        }
        return 0
    }

    /// The finished dataset.
    /// - Throws: `DatasetError` when there are no rows, or a positive label value never occurs.
    func dataset(rowShape: [Int] = []) throws -> Dataset {
        guard !labels.isEmpty else { throw DatasetError(source, "no data rows") }
        if let labelIndex, let missingValue = positiveSeen.firstIndex(of: false) {
            let value = String(decoding: positive[missingValue], as: UTF8.self)
            throw DatasetError(source, "anomaly value '\(value)' never occurs in label column '\(names[labelIndex])' (values seen: \(labelValuesSeen.joined(separator: ", ")))")
        }
        var columns: [Column] = []
        for (j, kind) in kinds.enumerated() where j != labelIndex { columns.append(Column(name: names[j], kind: kind)) }
        let tensor = try Tensor(shape: [labels.count, columns.count], scalars: features)
        return try Dataset(features: tensor, columns: columns, labels: labels, rowShape: rowShape, source: source)
    }
}

extension ColumnKind {
    var categoriesIfAny: [String]? {
        if case .categorical(let categories) = self { return categories }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
