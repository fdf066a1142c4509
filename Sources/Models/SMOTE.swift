import Datasets
import Foundation
import TensorCore

/// SMOTE (Chawla et al. 2002) and Borderline-SMOTE (Han et al. 2005) over model-space
/// rows, with SMOTE-NC behaviour for one-hot groups: a synthetic row interpolates the
/// numeric columns between a minority row and one of its k nearest minority
/// neighbours, and takes each categorical group's most frequent category among those
/// neighbours. Distances add, per differing category, the median standard deviation
/// of the numeric columns (SMOTE-NC's penalty).
public final class SMOTE: Generator {
    public let kind = "smote"

    /// Which minority rows seed new ones.
    public enum Variant: String, Codable, Sendable {
        /// Every minority row.
        case standard
        /// Only minority rows "in danger": at least half, but not all, of their m nearest
        /// neighbours (any class) are normal rows.
        case borderline
    }

    public let neighbours: Int
    public let variant: Variant
    /// The neighbours (any class) looked at to find rows in danger (Borderline-SMOTE's m).
    public let dangerNeighbours: Int
    private var minority = Tensor.zeros([0, 0])
    private var seeds: [Int] = []
    private var neighbourLists: [[Int]] = []
    private var groups = ColumnGroups([])

    public init(neighbours: Int = 5, variant: Variant = .standard, dangerNeighbours: Int = 10) {
        self.neighbours = neighbours
        self.variant = variant
        self.dangerNeighbours = dangerNeighbours
    }

    /// Learns the minority rows and their neighbourhoods.
    /// - Throws: `ModelError` when the data has fewer than 2 anomalies, or (borderline)
    ///   no anomaly is in danger.
    public func fit(_ data: Dataset) throws {
        guard neighbours >= 1 else { throw ModelError("smote: neighbours must be at least 1, got \(neighbours)") }
        let minorityRows = (0..<data.rowCount).filter { data.labels[$0] == 1 }
        guard minorityRows.count >= 2 else {
            throw ModelError("smote: needs at least 2 anomalies in the training data, found \(minorityRows.count)")
        }
        groups = ColumnGroups(data.columns)
        minority = try data.features.gatherRows(minorityRows)
        let penalty = categoricalPenalty(minority)
        // Each row's category per one-hot group, found once: the pairs' penalty only compares them.
        func codes(_ x: Tensor) -> [[Int32]] {
            (0..<x.rows).map { r in groups.oneHotGroups.map { Int32(argmax(x, row: r, $0)) } }
        }
        let minorityCodes = codes(minority)
        let mismatch = groups.oneHotGroups.isEmpty ? nil : { (points: [[Int32]]) in
            NearestNeighbors.CategoryMismatch(queryCodes: minorityCodes, pointCodes: points, weight: penalty)
        }
        neighbourLists = try NearestNeighbors.search(minority, in: minority, k: neighbours, excludeSelf: true,
                                                     mismatch: mismatch?(minorityCodes))
        seeds = Array(0..<minorityRows.count)
        if variant == .borderline {
            let all = data.features
            let near = try NearestNeighbors.search(minority, in: all, k: dangerNeighbours + 1, mismatch: mismatch?(codes(all)))
            seeds = seeds.filter { m in
                let others = near[m].filter { $0 != minorityRows[m] }.prefix(dangerNeighbours)
                let normal = others.filter { data.labels[$0] == 0 }.count
                return normal * 2 >= others.count && normal < others.count
            }
            guard !seeds.isEmpty else {
                throw ModelError("smote (borderline): no anomaly is in danger (none has half or more normal neighbours); use the standard variant")
            }
        }
    }

    /// Generator conformance: learns the anomalies (SMOTE has no training history).
    public func fit(_ data: Dataset, using rng: inout SeededRNG) throws -> TrainingHistory {
        try fit(data)
        return TrainingHistory()
    }

    /// Generator conformance: SMOTE only makes anomalies.
    public func sample(_ request: SampleRequest, using rng: inout SeededRNG) throws -> Tensor {
        guard request.label ?? 1 == 1 else { throw ModelError("smote: only makes anomalies (label 1)") }
        return try sample(request.count, using: &rng)
    }

    public func exportState() throws -> (config: String, tensors: [String: Tensor]) {
        (try settingsJSON(["neighbours": String(neighbours), "variant": variant.rawValue, "danger_neighbours": String(dangerNeighbours)]),
         try learnedState())
    }

    /// The fitted state as tensors (for saving).
    public func learnedState() throws -> [String: Tensor] {
        let k = neighbourLists.first?.count ?? 0
        return [
            "minority": minority,
            "neighbours": try Tensor(shape: [neighbourLists.count, k], scalars: neighbourLists.flatMap { $0.map(Float.init) }),
            "seeds": try Tensor(shape: [seeds.count], scalars: seeds.map(Float.init)),
        ]
    }

    /// Restores a fitted state saved by `exportState`.
    public func importState(_ state: [String: Tensor], columns: [Column]) throws {
        guard let minority = state["minority"], let neighbours = state["neighbours"], let seeds = state["seeds"] else {
            throw ModelError("smote: the saved state lacks minority, neighbours or seeds")
        }
        guard minority.rank == 2, minority.columns == columns.count, minority.rows >= 1, neighbours.rank == 2,
              neighbours.rows == minority.rows, neighbours.columns >= 1, seeds.rank == 1, seeds.count >= 1 else {
            throw ModelError("smote: the saved state's shapes disagree (minority [rows, \(columns.count)], neighbours [rows, k >= 1], seeds [n >= 1])")
        }
        let k = neighbours.columns
        let lists = try ModelFile.integers(neighbours.scalars, in: 0...(minority.rows - 1), "smote neighbours")
        self.seeds = try ModelFile.integers(seeds.scalars, in: 0...(minority.rows - 1), "smote seeds")
        self.minority = minority
        neighbourLists = (0..<neighbours.rows).map { r in Array(lists[(r * k)..<((r + 1) * k)]) }
        groups = ColumnGroups(columns)
    }

    /// Makes `count` synthetic anomalies.
    /// - Throws: `ModelError` when not fitted or `count < 1`.
    public func sample(_ count: Int, using rng: inout SeededRNG) throws -> Tensor {
        guard count >= 1 else { throw ModelError("smote: count must be at least 1, got \(count)") }
        guard !seeds.isEmpty else { throw ModelError("smote: sample before fit") }
        let width = minority.columns
        var values = [Float](repeating: 0, count: count * width)
        for r in 0..<count {
            let seed = seeds[rng.index(below: seeds.count)]
            let friends = neighbourLists[seed]
            let other = friends[rng.index(below: friends.count)]
            let gap = rng.uniform()
            for column in groups.numericColumns {
                let a = minority[seed, column], b = minority[other, column]
                values[r * width + column] = a + gap * (b - a)
            }
            for group in groups.oneHotGroups {
                // The most frequent category among the seed's neighbours (ties: the seed's own).
                var votes = [Int](repeating: 0, count: group.count)
                for friend in friends { votes[argmax(minority, row: friend, group)] += 1 }
                var best = argmax(minority, row: seed, group)
                for category in 0..<group.count where votes[category] > votes[best] { best = category }
                values[r * width + group.lowerBound + best] = 1
            }
        }
        return try Tensor(shape: [count, width], scalars: values)
    }

    private func argmax(_ x: Tensor, row: Int, _ group: Range<Int>) -> Int {
        var best = 0
        for (k, column) in group.enumerated() where x[row, column] > x[row, group.lowerBound + best] { best = k }
        return best
    }

    /// SMOTE-NC's penalty: the median standard deviation of the numeric columns.
    private func categoricalPenalty(_ x: Tensor) -> Float {
        let deviations = groups.numericColumns.map { column -> Float in
            let values = (0..<x.rows).map { x[$0, column] }
            let mean = values.reduce(0, +) / Float(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        }.sorted()
        return deviations.isEmpty ? 1 : deviations[deviations.count / 2]
    }
}

extension SMOTE {
    static let generatorKind = GeneratorKind(name: "smote", make: { SMOTE(neighbours: $0.neighbours, variant: $0.smoteVariant) },
                                             restore: { file, source in
        let settings = try ModelFile.decodeEntry([String: String].self, "config", file.config, source)
        let smote = SMOTE(neighbours: Int(settings["neighbours"] ?? "") ?? 5, variant: Variant(rawValue: settings["variant"] ?? "") ?? .standard,
                          dangerNeighbours: Int(settings["danger_neighbours"] ?? "") ?? 10)
        try smote.importState(file.tensors, columns: file.schema.columns)
        return smote
    })
}
