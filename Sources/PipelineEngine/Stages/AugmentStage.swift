import ArchiveIO
import Datasets
import Foundation
import TensorCore

/// `augment`: real training rows plus synthetic rows, to a target anomaly share or
/// count; every row keeps its provenance (real, or which generator and strategy).
public enum AugmentStage: StageImplementation {
    public static let type = "augment"
    public static let version = 1
    public static let summary = "Add synthetic rows to the real training rows, to a target anomaly ratio or count, keeping each row's provenance."
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("anomaly_ratio", .number(minimum: 0, maximum: 1, exclusive: true),
                      "Add synthetic anomalies until this share of the rows are anomalies (not with synthetic_count)."),
        ParameterSpec("synthetic_count", .integer(minimum: 0, maximum: nil), "Add this many synthetic rows (not with anomaly_ratio)."),
        ParameterSpec("shortfall", .choice(["error", "use_available"]), default: .string("error"),
                      "When the synthetic inputs hold fewer rows than the target needs (filters dropped many): fail, or add every row they hold (`anomsynth inspect` shows the rows per source)."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [
        InputSpec("data", "The real training rows (e.g. prep.train)."),
        InputSpec("synthetic", required: false, many: true, "Synthetic sets (synthesize stages); rows are drawn from each in equal shares."),
    ]
    public static let outputs = [OutputSpec("data", file: "augmented.tar.zst", "Real and synthetic rows with their provenance.")]

    public static func run(_ context: StageContext) throws {
        let p = context.params
        guard let realFile = context.inputs["data"]?.first else { throw StageError("augment needs a `data` input") }
        let (real, transform) = try DatasetArchive.read(realFile.path)
        let sets = try (context.inputs["synthetic"] ?? []).map { try DatasetArchive.read($0.path).dataset }
        for (index, set) in sets.enumerated() where set.columns.map(\.name) != real.columns.map(\.name) {
            throw StageError("synthetic input \(index + 1) has columns \(set.columns.map(\.name)), the real data \(real.columns.map(\.name))")
        }
        let available = sets.reduce(0) { $0 + $1.rowCount }
        if p["anomaly_ratio"] != nil, p["synthetic_count"] != nil {
            throw StageError("give anomaly_ratio or synthetic_count, not both")
        }
        var wanted = available
        if let ratio = p["anomaly_ratio"]?.numberValue {
            wanted = rowsNeeded(ratio: ratio, rows: real.rowCount, anomalies: real.anomalyCount)
        } else if let count = p["synthetic_count"]?.integerValue {
            wanted = count
        }
        // Synthetic inputs that hold no rows at all (every row filtered out, said in their
        // quality.json) leave the real rows; evaluate reports the variant as such.
        if wanted > available, available > 0 {
            guard p["shortfall"]?.stringValue == "use_available" else {
                throw StageError("needs \(wanted) synthetic rows, the synthetic inputs hold \(available); synthesize more (count), lower the target or set shortfall: use_available")
            }
            wanted = available
        }
        var rng = SeededRNG(seed: context.seed)
        // Equal shares across sets, the remainder to the first ones, capped by what each holds.
        var shares = sets.map { _ in 0 }
        var remaining = wanted
        while remaining > 0 {
            let open = sets.indices.filter { shares[$0] < sets[$0].rowCount }
            guard !open.isEmpty else { break }
            for index in open where remaining > 0 {
                shares[index] += 1
                remaining -= 1
            }
        }
        // Every set's sources are named, even those that gave no rows, so that the detector
        // trained on this data can tell which synthetic inputs were empty.
        var sources = orderedUnique(real.sources + sets.flatMap { $0.sources.dropFirst() })
        var features = real.features.scalars, labels = real.labels, provenance = real.provenance
        for (set, share) in zip(sets, shares) where share > 0 {
            let rows = rng.sampleWithoutReplacement(share, from: set.rowCount).sorted()
            let chosen = try set.rows(rows)
            let mapping = chosen.sources.map { name -> Int32 in
                if let index = sources.firstIndex(of: name) { return Int32(index) }
                sources.append(name)
                return Int32(sources.count - 1)
            }
            features += chosen.features.scalars
            labels += chosen.labels
            provenance += chosen.provenance.map { mapping[Int($0)] }
        }
        var augmented = try Dataset(features: try Tensor(shape: [labels.count, real.columns.count], scalars: features),
                                    columns: real.columns, labels: labels, provenance: provenance, sources: sources,
                                    rowShape: real.rowShape, source: context.stageID)
        augmented.labelColumn = real.labelColumn
        try DatasetArchive.write(augmented, transform: transform, to: context.output("data", of: self).path, compression: context.archiveCompression)
    }

    /// Synthetic anomalies to add to `rows` rows holding `anomalies` for an anomaly share of
    /// `ratio`: (anomalies + added) / (rows + added) = ratio, rounded up; 0 when already there.
    static func rowsNeeded(ratio: Double, rows: Int, anomalies: Int) -> Int {
        max(0, Int(((ratio * Double(rows) - Double(anomalies)) / (1 - ratio)).rounded(.up)))
    }

    /// `validate`: a synthesize input that makes rows for a smaller anomaly_ratio than this
    /// stage's cannot fill it (the run would fail after training).
    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] {
        guard let ratio = params["anomaly_ratio"]?.numberValue, params["shortfall"]?.stringValue != "use_available" else { return [] }
        let sets = (upstream["synthetic"] ?? []).filter { $0.type == SynthesizeStage.type }
        let smaller = sets.compactMap { $0.params["anomaly_ratio"]?.numberValue }.filter { $0 < ratio }
        guard let short = smaller.min() else { return [] }
        return [ParameterProblem("anomaly_ratio", "anomaly_ratio \(ratio) needs more synthetic rows than a synthesize input makes for its anomaly_ratio \(short); give the synthesize stage at least \(ratio), or set shortfall: use_available")]
    }
}
