import TensorCore

/// Turns the text fields of records into feature values, a label and column
/// kinds, for every text reader (CSV, KEEL, ARFF).
final class RowConverter {
    /// What each field is, decided once per column.
    private enum Role: UInt8 { case numeric, categorical, label }

    private let source: String
    /// The kinds the converter started with (categories as declared or sampled).
    private let kinds: [ColumnKind]
    /// Whether every value so far of each numeric column was whole (kept apart from
    /// `kinds` so that the hot loop touches a plain array, not enum payloads).
    private var integral: [Bool]
    private let names: [String]
    private let roles: [Role]
    /// Position of the label among the fields, if any.
    private let labelIndex: Int?
    private let label: LabelSpec?
    private let positive: [[UInt8]]
    private var positiveSeen: [Bool]
    /// The first 20 distinct label values that are not anomaly values, with their counts (for hints).
    private var otherLabelValues: [[UInt8]] = []
    private var labelValueCounts: [Int] = []
    private var labelValuesSeen: [String] { otherLabelValues.map { String(decoding: $0, as: UTF8.self) } }
    /// Categorical columns whose categories were declared up front (ARFF/KEEL nominal
    /// attributes) reject other values; the others gain categories as they appear.
    private let declaredCategories: [Bool]
    /// Each categorical column's categories in the order first seen (declared ones first),
    /// and the index of each.
    private var categoryNames: [[String]]
    private var categoryIndex: [[String: Int]]
    /// The same indices for short values, keyed by their bytes (filled as values are looked up).
    private var shortCategoryIndex: [ShortKeyTable]
    /// Per column, how many categories this converter had when it last took the main
    /// converter's (`shareCategories`): a fork numbers the ones it adds itself, and `absorb`
    /// renumbers them.
    private var sharedCategoryCount: [Int]
    private let missingTexts: [String]
    private let missing: [[UInt8]]
    /// Whether some missing-value token also reads as a number (then it is checked first).
    private let missingLooksNumeric: Bool
    private let powers = PowersOfTen.table
    private(set) var features: [Float] = []
    private(set) var labels: [UInt8] = []
    private var row: UnsafeMutablePointer<Float>
    /// Plain records waiting to be appended (`appendPlainRecords`), and their labels.
    private let staging: UnsafeMutablePointer<Float>
    private let stagedLabels: UnsafeMutablePointer<UInt8>
    private let width: Int

    /// - Parameters:
    ///   - kinds: one per field, label included (its kind is ignored).
    init(source: String, names: [String], kinds: [ColumnKind], label: LabelSpec?, labelIndex: Int?, missing: [String]) {
        self.source = source
        self.names = names
        self.kinds = kinds
        self.integral = kinds.map { $0 == .numeric(integer: true) }
        self.labelIndex = labelIndex
        self.label = label
        self.roles = kinds.indices.map { j in
            if j == labelIndex { return .label }
            if case .categorical = kinds[j] { return .categorical }
            return .numeric
        }
        self.positive = (label?.positive ?? []).map { Array($0.utf8) }
        self.positiveSeen = [Bool](repeating: false, count: label?.positive.count ?? 0)
        self.declaredCategories = kinds.map { ($0.categories?.isEmpty == false) }
        self.missingTexts = missing
        self.missing = missing.map { Array($0.utf8) }
        self.missingLooksNumeric = self.missing.contains { token in
            token.withUnsafeBufferPointer { $0.baseAddress.flatMap { parseFloat($0, token.count) }.map { !$0.isNaN } ?? false }
        }
        self.categoryNames = kinds.map { $0.categories ?? [] }
        self.categoryIndex = categoryNames.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        self.sharedCategoryCount = categoryNames.map(\.count)
        self.shortCategoryIndex = kinds.map { _ in ShortKeyTable() }
        width = kinds.count - (labelIndex == nil ? 0 : 1)
        row = .allocate(capacity: max(width, 1))
        staging = .allocate(capacity: max(width, 1) * Self.stagedRecords)
        stagedLabels = .allocate(capacity: Self.stagedRecords)
    }

    deinit {
        row.deallocate()
        staging.deallocate()
        stagedLabels.deallocate()
    }

    /// An empty converter with the same columns, for a parallel part of the input; it takes
    /// this converter's categories before each part (`shareCategories`).
    func fork() -> RowConverter {
        RowConverter(source: source, names: names, kinds: kinds, label: label, labelIndex: labelIndex, missing: missingTexts)
    }

    /// Takes the categories `main` has now, before converting a part for it.
    func shareCategories(from main: RowConverter) {
        for j in roles.indices where roles[j] == .categorical {
            categoryNames[j] = main.categoryNames[j]
            categoryIndex[j] = main.categoryIndex[j]
            shortCategoryIndex[j] = main.shortCategoryIndex[j]
            sharedCategoryCount[j] = categoryNames[j].count
        }
    }

    /// Appends the rows of a part converted by a fork, in order, and empties the fork
    /// (keeping its storage, so the next part reuses it). Categories the part met first
    /// are numbered after those of the parts before it: as if read in one go.
    func absorb(_ part: RowConverter) {
        for j in roles.indices where roles[j] == .categorical && part.categoryNames[j].count > part.sharedCategoryCount[j] {
            let shared = part.sharedCategoryCount[j]
            let renumbered = part.categoryNames[j][shared...].map { Float(categoryIndex[j][$0] ?? addCategory(j, $0)) }
            let column = j - (labelIndex.map { $0 < j ? 1 : 0 } ?? 0)
            part.features.withUnsafeMutableBufferPointer { values in
                for at in stride(from: column, to: values.count, by: width) where values[at] >= Float(shared) {
                    values[at] = renumbered[Int(values[at]) - shared]
                }
            }
        }
        features.append(contentsOf: part.features)
        labels.append(contentsOf: part.labels)
        part.discardRows()
        for (k, seen) in part.positiveSeen.enumerated() where seen { positiveSeen[k] = true }
        for (value, count) in zip(part.otherLabelValues, part.labelValueCounts) {
            if let known = otherLabelValues.firstIndex(of: value) {
                labelValueCounts[known] += count
            } else if otherLabelValues.count < 20 {
                otherLabelValues.append(value)
                labelValueCounts.append(count)
            }
        }
        for j in integral.indices where !part.integral[j] { integral[j] = false }
    }

    /// Forgets the converted rows, keeping the storage (the columns' flags stay: the same
    /// rows are converted again, or were merged).
    func discardRows() {
        features.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
    }

    /// Moves the features into `storage` (empty, with room reserved for the rows to come).
    func adopt(_ storage: consuming [Float]) {
        guard storage.isEmpty, storage.capacity > features.capacity else { return }
        storage.append(contentsOf: features)
        features = storage
        labels.reserveCapacity(features.capacity / max(width, 1))
    }

    @inline(__always)
    private func isMissing(_ start: UnsafePointer<UInt8>, _ count: Int, quoted: Bool) -> Bool {
        count == 0 ? !quoted : missing.firstIndex(matching: start, count: count) != nil
    }

    /// Appends one record: every field in order, the label field included.
    /// - Throws: `DatasetError` naming the line and column for a value that does not fit.
    func append(_ fields: UnsafeBufferPointer<CSVTokenizer.Field>, line: Int) throws {
        var label: UInt8 = 0
        var k = 0
        for j in 0..<fields.count {
            let field = fields[j]
            var start = field.start, count = field.count
            while count > 0, start[0] == 0x20 || start[0] == 0x09 { start += 1; count -= 1 }
            while count > 0, start[count - 1] == 0x20 || start[count - 1] == 0x09 { count -= 1 }
            switch roles[j] {
            case .label:
                label = try labelValue(start, count, line: line)
                continue
            case .numeric:
                if missingLooksNumeric, isMissing(start, count, quoted: field.quoted) {
                    row[k] = .nan
                } else if let value = parseFloat(start, count, powersOfTen: powers), !value.isNaN {
                    if integral[j], value != value.rounded() { integral[j] = false }
                    row[k] = value
                } else if isMissing(start, count, quoted: field.quoted) {
                    row[k] = .nan
                } else {
                    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
                    throw DatasetError(source, line: line,
                                       "column '\(names[j])': '\(text)' is not a number (declare the column categorical if it holds text)")
                }
            case .categorical:
                row[k] = isMissing(start, count, quoted: field.quoted) ? .nan : try category(j, start, count, line: line)
            }
            k += 1
        }
        features.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
        labels.append(label)
    }

    /// Converts plain records — numbers without exponents or missing values, unquoted text
    /// with no spaces around it — each in a single pass over its bytes without splitting it
    /// into fields first, until `limit` records, the end, or a record not of that simple
    /// form (the caller then takes the general path for that one).
    /// - Returns: the offset after the last record converted, and how many were.
    func appendPlainRecords(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, delimiter: UInt8,
                            limit: Int = .max) -> (next: Int, records: Int) {
        if missingLooksNumeric || delimiter == CSVTokenizer.newline { return (start, 0) }
        // Records end at a line break: up to the last one in range, the parser needs no bounds checks.
        var stop = end
        while stop > start, base[stop - 1] != CSVTokenizer.newline { stop -= 1 }
        var position = start, records = 0, staged = 0
        let width = width
        func flush() {
            features.append(contentsOf: UnsafeBufferPointer(start: staging, count: staged * width))
            labels.append(contentsOf: UnsafeBufferPointer(start: stagedLabels, count: staged))
            staged = 0
        }
        roles.withUnsafeBufferPointer { roles in
            integral.withUnsafeMutableBufferPointer { integral in
                while records < limit, position < stop,
                      let next = plainRecord(base, from: position, delimiter: delimiter, roles: roles, integral: integral,
                                             into: staging + staged * width, label: stagedLabels + staged) {
                    position = next
                    records += 1
                    staged += 1
                    if staged == Self.stagedRecords { flush() }
                }
            }
        }
        flush()
        return (position, records)
    }

    /// Records converted into `staging` between appends to `features`.
    private static let stagedRecords = 256

    /// One plain record into `values` and `label`; nil when it is not of that form.
    /// - Precondition: a line break follows `start` (the record reads up to it, no further).
    @inline(__always)
    private func plainRecord(_ base: UnsafePointer<UInt8>, from start: Int, delimiter: UInt8,
                             roles: UnsafeBufferPointer<Role>, integral: UnsafeMutableBufferPointer<Bool>,
                             into values: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<UInt8>) -> Int? {
        var p = start
        var k = 0
        label.pointee = 0
        let fieldCount = roles.count
        for j in 0..<fieldCount {
            let last = j == fieldCount - 1
            let terminator = last ? CSVTokenizer.newline : delimiter
            if roles[j] != .numeric {
                guard let (valueEnd, next) = plainText(base, from: p, terminator: terminator, last: last) else { return nil }
                let count = valueEnd - p
                if roles[j] == .label {
                    guard count > 0 else { return nil }
                    label.pointee = plainLabel(base + p, count)
                } else {
                    guard let value = isMissing(base + p, count, quoted: false) ? .nan : knownOrNewCategory(j, base + p, count) else { return nil }
                    values[k] = value
                    k += 1
                }
                p = next
                continue
            }
            guard let (value, end) = parsePlainNumber(base, from: p, powersOfTen: powers) else { return nil }
            let next = last && base[end] == CSVTokenizer.carriageReturn ? end + 1 : end  // past the CR of a CRLF line break
            guard base[next] == terminator else { return nil }
            if integral[j], value != value.rounded() { integral[j] = false }
            values[k] = value
            k += 1
            p = next + 1
        }
        return p
    }

    /// The unquoted text field at `start`: where its value ends (before the CR of a CRLF
    /// line break) and where the next field starts; nil when it holds a quote, starts or
    /// ends with a space or tab, or the line ends before its terminator.
    @inline(__always)
    private func plainText(_ base: UnsafePointer<UInt8>, from start: Int, terminator: UInt8, last: Bool) -> (end: Int, next: Int)? {
        var q = start
        while base[q] != terminator, base[q] != CSVTokenizer.newline, base[q] != CSVTokenizer.quote { q += 1 }
        guard base[q] == terminator else { return nil }
        let end = last && q > start && base[q - 1] == CSVTokenizer.carriageReturn ? q - 1 : q
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == CSVTokenizer.carriageReturn }
        if end > start, isBlank(base[start]) || isBlank(base[end - 1]) { return nil }
        return (end, q + 1)
    }

    /// 1 for an anomaly value of the label, else 0 (noting the values seen, for error messages).
    private func plainLabel(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt8 {
        if let index = positive.firstIndex(matching: start, count: count) {
            positiveSeen[index] = true
            return 1
        }
        if let known = otherLabelValues.firstIndex(matching: start, count: count) {
            labelValueCounts[known] += 1
        } else if otherLabelValues.count < 20 {
            otherLabelValues.append(Array(UnsafeBufferPointer(start: start, count: count)))
            labelValueCounts.append(1)
        }
        return 0
    }

    private func category(_ j: Int, _ start: UnsafePointer<UInt8>, _ count: Int, line: Int) throws -> Float {
        if let value = knownOrNewCategory(j, start, count) { return value }
        let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        throw DatasetError(source, line: line, "column '\(names[j])': '\(text)' is not one of its declared values \(categoryNames[j])")
    }

    /// The index of a category, added if new; nil for a value a declared column does not have.
    private func knownOrNewCategory(_ j: Int, _ start: UnsafePointer<UInt8>, _ count: Int) -> Float? {
        let key = ShortKeyTable.key(start, count)
        if let key, let index = shortCategoryIndex[j].value(key) { return Float(index) }
        let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        guard let index = categoryIndex[j][text] ?? (declaredCategories[j] ? nil : addCategory(j, text)) else { return nil }
        if let key { shortCategoryIndex[j].insert(key, index) }
        return Float(index)
    }

    /// Numbers a new category of column `j`.
    private func addCategory(_ j: Int, _ text: String) -> Int {
        categoryIndex[j][text] = categoryNames[j].count
        categoryNames[j].append(text)
        return categoryNames[j].count - 1
    }

    private func labelValue(_ start: UnsafePointer<UInt8>, _ count: Int, line: Int) throws -> UInt8 {
        guard count > 0 else { throw DatasetError(source, line: line, "the label column '\(names[labelIndex!])' is empty") }
        return plainLabel(start, count)
    }

    /// The finished dataset.
    /// - Throws: `DatasetError` when there are no rows, or a positive label value never occurs.
    func dataset(rowShape: [Int] = []) throws -> Dataset {
        guard !labels.isEmpty else { throw DatasetError(source, "no data rows") }
        if let labelIndex, label?.mayBeAbsent != true, let missingValue = positiveSeen.firstIndex(of: false) {
            let value = String(decoding: positive[missingValue], as: UTF8.self)
            let seen = positive.indices.filter { positiveSeen[$0] }.map { String(decoding: positive[$0], as: UTF8.self) } + labelValuesSeen
            // With two or more other values, the rarest is most likely the anomaly class.
            let rarest = otherLabelValues.count >= 2 ? labelValueCounts.indices.min { (labelValueCounts[$0], $0) < (labelValueCounts[$1], $1) } : nil
            let hint = rarest.map { "the rarest value is '\(labelValuesSeen[$0])' (\(labelValueCounts[$0]) of \(labels.count) rows): if it marks the anomalies, give --positive \(labelValuesSeen[$0]) (label.positive in a pipeline); " } ?? ""
            throw DatasetError(source, "anomaly value '\(value)' never occurs in label column '\(names[labelIndex])' (values seen: \(seen.joined(separator: ", "))); \(hint)if the file has no anomalies, say so (label.may_be_absent: true in a pipeline, --may-be-absent for ingest)")
        }
        var columns: [Column] = []
        for j in roles.indices where roles[j] != .label {
            columns.append(Column(name: names[j], kind: roles[j] == .categorical ? .categorical(categories: categoryNames[j]) : .numeric(integer: integral[j])))
        }
        let tensor = try Tensor(shape: [labels.count, columns.count], scalars: features)
        features = []
        var data = try Dataset(features: tensor, columns: columns, labels: labels, rowShape: rowShape, source: source)
        if let labelIndex, !positive.isEmpty {
            let anomaly = positive[positiveSeen.firstIndex(of: true) ?? 0]
            data.labelColumn = LabelColumn(name: names[labelIndex], anomaly: String(decoding: anomaly, as: UTF8.self),
                                           normal: labelValuesSeen.count == 1 ? labelValuesSeen[0] : nil)
        }
        return data
    }
}
