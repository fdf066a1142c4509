import ArchiveIO
import Datasets
import Evaluation
import Foundation
import Models
import TensorCore

/// `synthesize`: draws synthetic anomalies from a trained generator by one of the
/// strategies, filters them, and measures their quality against the real rows.
public enum SynthesizeStage: StageImplementation {
    public static let type = "synthesize"
    public static let version = 3  // 2: image samples keep their shape; 3: anomaly_ratio, an empty result is a warning
    public static let summary = "Draw synthetic anomalies from a generator (minority, tail, perturb, interpolate), filter them, and measure their quality."
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("strategy", .choice(["minority", "tail", "perturb", "typed", "interpolate"]), default: .string("minority"),
                      "minority: sample the anomaly class; tail: low-density regions of a model of normal rows (flow, VAE); perturb: move encoded real rows in latent space (VAE); typed: ADBench's local, global, dependency and clustered anomalies from a Gaussian mixture of normal rows (gmm); interpolate: SMOTE between anomalies' latents (VAE)."),
        ParameterSpec("types", .strings, default: .array(["local", "global", "dependency", "clustered"].map(JSONValue.string)),
                      "typed: which ADBench types to make, in equal shares."),
        ParameterSpec("type_strength", .number(minimum: 0, maximum: 100, exclusive: true), default: .number(5),
                      "typed: covariance scale (local), range widening / 10 (global), mean shift in standard deviations (clustered)."),
        ParameterSpec("count", .integer(minimum: 1, maximum: 10_000_000),
                      "Synthetic rows to draw (filters may drop some); default 200. Not with anomaly_ratio."),
        ParameterSpec("anomaly_ratio", .number(minimum: 0, maximum: 1, exclusive: true),
                      "Instead of count: make as many rows as an augment stage with this anomaly_ratio adds to the reference rows, counted after the filters (drawing again, up to \(SynthesisTarget.rounds) rounds, while filters drop rows). Follows the data's size: the same pipeline works on 2,000 or 200,000 rows."),
        ParameterSpec("temperature", .number(minimum: 0, maximum: 100, exclusive: true), default: .number(1.5), "tail: scale of the latent draws."),
        ParameterSpec("quantile", .number(minimum: 0, maximum: 1, exclusive: true), default: .number(0.05),
                      "tail with a flow: keep draws whose log-likelihood is below this quantile of the training rows'."),
        ParameterSpec("shell_radius", .number(minimum: 0, maximum: 100, exclusive: true), default: .number(3),
                      "tail with a VAE: latents drawn on a sphere of this radius times sqrt(latent_dim)."),
        ParameterSpec("scale", .number(minimum: 0, maximum: 100, exclusive: true), default: .number(1), "perturb: standard deviation of the latent moves."),
        ParameterSpec("perturb_rows", .choice(["normal", "anomalies"]), default: .string("normal"), "perturb: which real rows to move."),
        ParameterSpec("drop_duplicates", .boolean, default: .bool(true), "Drop exact copies of reference rows and repeated synthetic rows."),
        ParameterSpec("drop_normal_copies", .boolean, default: .bool(true),
                      "Drop synthetic rows identical to a normal reference row (their anomaly label would contradict it), even with drop_duplicates: false."),
        ParameterSpec("clip_margin", .number(minimum: 0, maximum: nil, exclusive: false), default: .number(0.5),
                      "Clip numeric columns to the reference range widened by this share of it on each side."),
        ParameterSpec("reject_normal", .boolean, default: .bool(false),
                      "Drop rows that look normal: closer to a normal reference row than the median normal row is to its nearest neighbour."),
        ParameterSpec("neighbour_check", .integer(minimum: 0, maximum: 100), default: .number(0),
                      "k > 0: drop rows whose k nearest reference rows are mostly normal (edited nearest neighbours, as SMOTE-ENN cleans); 0: off."),
        ParameterSpec("categorical_combinations", .choice(["any", "anomalies"]), default: .string("any"),
                      "anomalies: keep only rows whose categorical values occur together in a real anomaly of the reference (where a label is a rule of the categories, an unseen combination is as likely normal); any: no check."),
        ParameterSpec("seed", .integer(minimum: 0, maximum: nil), "Overrides the seed derived from the pipeline seed and the stage id."),
    ]
    public static let inputs = [
        InputSpec("model", "A trained generator (a train_generator stage)."),
        InputSpec("reference", "The real training rows the generator learned from (e.g. prep.train)."),
    ]
    public static let outputs = [
        OutputSpec("data", file: "synthetic.tar.zst", "The synthetic anomalies (label 1), provenance naming the generator and strategy."),
        OutputSpec("quality", file: "quality.json", "Quality of the synthetic rows against the real anomalies (or all rows when there are none)."),
    ]

    /// Why a generator cannot serve a strategy, or nil: each strategy asks for a capability.
    static func unsupported(_ strategy: String, by generator: any Generator) -> String? {
        let latent = generator is any LatentCodeModel
        switch strategy {
        case "tail": return latent || generator is any DensityModel ? nil
            : "tail needs a model with a density or a latent code (flow, vae), not \(generator.kind)"
        case "perturb", "interpolate": return latent ? nil : "\(strategy) needs a model with a latent code (vae), not \(generator.kind)"
        case "typed": return generator is any DistortableMixture ? nil : "typed needs a mixture model of the normal rows (gmm), not \(generator.kind)"
        default: return nil
        }
    }

    /// `validate` learns whether the input's generator can serve the strategy.
    public static func check(_ params: JSONValue, upstream: [String: [UpstreamStage]]) -> [ParameterProblem] {
        if params["count"] != nil, params["anomaly_ratio"] != nil {
            return [ParameterProblem("anomaly_ratio", "give count or anomaly_ratio, not both")]
        }
        guard let source = upstream["model"]?.first, source.type == TrainGeneratorStage.type,
              let kind = source.params["model"]?.stringValue, let strategy = params["strategy"]?.stringValue,
              let settings = try? source.params.decoded(GeneratorSettings.self, stage: ""),
              let generator = try? ModelRegistry.generator(kind).make(settings),
              let reason = unsupported(strategy, by: generator) else { return [] }
        return [ParameterProblem("strategy", reason)]
    }

    public static func run(_ context: StageContext) throws {
        let p = context.params
        guard let modelFile = context.inputs["model"]?.first, let referenceFile = context.inputs["reference"]?.first else {
            throw StageError("synthesize needs `model` and `reference` inputs")
        }
        let (generator, description) = try GeneratorStore.load(modelFile.path)
        let (reference, transform) = try DatasetArchive.read(referenceFile.path)
        guard description.columns.map(\.name) == reference.columns.map(\.name) else {
            throw StageError("the generator was trained on columns \(description.columns.map(\.name)), the reference has \(reference.columns.map(\.name))")
        }
        guard description.schema.shape == reference.sampleShape else {
            throw StageError("the generator makes samples of shape \(description.schema.shape), the reference's are \(reference.sampleShape)")
        }
        let strategy = p["strategy"]?.stringValue ?? "minority"
        let target = SynthesisTarget(p, reference: reference)
        var rng = SeededRNG(seed: context.seed)
        let filters = Filters(p)
        if filters.seenCategoricalCombinations, reference.anomalyCount == 0 {
            throw StageError("categorical_combinations: anomalies keeps rows whose categories occur together in a real anomaly, but the reference rows hold no anomalies; use any")
        }
        // Draw, clip and filter; with a target after filtering, draw again for what the filters dropped.
        var sources = ["real", "\(generator.kind)/\(strategy)"]
        var drawn: [Tensor] = [], provenance: [Int32] = [], keep: [Int] = []
        // Made-up rows keep the columns' domains: one category per group, whole numbers, consistent dates.
        let domains = ColumnDomains(reference: reference, transform: transform)
        var repairs: [String: Int] = [:]
        for round in 0..<(target.afterFilters ? SynthesisTarget.rounds : 1) where target.count > 0 && (round == 0 || keep.count < target.count) {
            let count = target.drawCount(round: round, drawn: provenance.count, kept: keep.count)
            let rows: Tensor
            if strategy == "typed" {
                let labels: [Int32]
                (rows, labels, sources) = try typed(count: count, generator: generator, reference: reference, params: p, using: &rng)
                provenance += labels
            } else {
                rows = try draw(strategy, count: count, generator: generator, reference: reference, params: p, using: &rng)
                provenance += [Int32](repeating: 1, count: rows.rows)
            }
            let projected = domains.project(try Filters.clip(rows, reference: reference, clipMargin: filters.clipMargin))
            repairs.merge(projected.repairs, uniquingKeysWith: +)
            drawn.append(projected.rows)
            keep = try filters.keep(clipped: drawn.count == 1 ? drawn[0] : Tensor.concatRows(drawn), reference: reference)
        }
        if target.afterFilters { keep = Array(keep.prefix(target.count)) }
        let rows = drawn.isEmpty ? try reference.features.gatherRows([]) : try (drawn.count == 1 ? drawn[0] : Tensor.concatRows(drawn)).gatherRows(keep)
        let synthetic = try Dataset(features: rows, columns: reference.columns, labels: [UInt8](repeating: 1, count: rows.rows),
                                    provenance: keep.map { provenance[$0] }, sources: sources, rowShape: reference.rowShape, source: context.stageID)
        try DatasetArchive.write(synthetic, transform: transform, to: context.output("data", of: self).path, compression: context.archiveCompression)
        var report: [String: Any] = ["sources": Array(sources.dropFirst()), "requested": target.count, "drawn": provenance.count]
        if !repairs.isEmpty { report["domain_repairs"] = repairs }  // values moved onto their column's domain, per column
        if target.afterFilters, rows.rows < target.count {
            report["warning"] = "\(rows.rows) of the \(target.count) rows asked for passed the filters after \(SynthesisTarget.rounds) rounds of drawing"
        }
        guard rows.rows > 0 else {
            // Not a failure: the variant goes on without synthetic rows, and evaluate says so.
            report["synthetic_rows"] = 0
            report["warning"] = target.count == 0
                ? "no synthetic rows are needed: the reference rows already hold \(reference.anomalyCount) anomalies of \(reference.rowCount) (\(String(format: "%.1f", 100 * Double(reference.anomalyCount) / Double(max(1, reference.rowCount))))%), at or above anomaly_ratio \(p["anomaly_ratio"]?.numberValue ?? 0)"
                : "every synthetic row was filtered out (duplicates, copies of normal rows, unseen categorical combinations, or rejected as normal); loosen the filters or change the strategy"
            try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted]).write(to: context.output("quality", of: self))
            return
        }
        let anomalies = (0..<reference.rowCount).filter { reference.labels[$0] == 1 }
        let real = anomalies.count >= 2 ? try reference.features.gatherRows(anomalies) : reference.features
        var qualityRNG = rng.derive("quality")
        let quality = try QualityMetrics.evaluate(real: real, synthetic: rows, columns: reference.columns,
                                                  classifier: TwoSampleClassifier.logistic, using: &qualityRNG)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        report.merge(try JSONSerialization.jsonObject(with: try encoder.encode(quality)) as? [String: Any] ?? [:]) { _, measured in measured }
        report["compared_with"] = anomalies.count >= 2 ? "real anomalies" : "all reference rows"
        try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            .write(to: context.output("quality", of: self))
    }

    /// ADBench's anomaly types (Han et al. 2022) from a Gaussian mixture of normal rows:
    /// local (covariances scaled up), global (uniform beyond the observed range),
    /// dependency (every column from an independent draw), clustered (means shifted).
    static func typed(count: Int, generator: any Generator, reference: Dataset, params p: JSONValue,
                      using rng: inout SeededRNG) throws -> (Tensor, [Int32], [String]) {
        guard let mixture = generator as? any DistortableMixture else {
            throw StageError(unsupported("typed", by: generator) ?? "typed: \(generator.kind) cannot serve it")
        }
        let types = p["types"]?.arrayValue?.compactMap(\.stringValue) ?? ["local", "global", "dependency", "clustered"]
        let known = ["local", "global", "dependency", "clustered"]
        if let unknown = types.first(where: { !known.contains($0) }) { throw StageError("typed: unknown type '\(unknown)'; expected \(known.joined(separator: ", "))") }
        guard !types.isEmpty else { throw StageError("typed: `types` is empty") }
        let strength = p["type_strength"]?.numberValue ?? 5
        let width = reference.columns.count
        var values: [Float] = [], provenance: [Int32] = []
        for (index, type) in types.enumerated() {
            let share = count / types.count + (index < count % types.count ? 1 : 0)
            guard share > 0 else { continue }
            let block: Tensor
            switch type {
            case "local": block = try mixture.draw(share, varianceScale: strength, meanShift: 0, using: &rng)
            case "clustered": block = try mixture.draw(share, varianceScale: 1, meanShift: strength, using: &rng)
            case "dependency":
                let draws = try (0..<width).map { _ in try mixture.draw(share, varianceScale: 1, meanShift: 0, using: &rng) }
                block = Tensor.build(shape: [share, width]) { out in
                    for r in 0..<share { for j in 0..<width { out[r * width + j] = draws[j][r, j] } }
                }
            default:  // global
                let widen = Float(strength / 10)
                let lows = (0..<width).map { j in (0..<reference.rowCount).map { reference.features[$0, j] }.min() ?? 0 }
                let highs = (0..<width).map { j in (0..<reference.rowCount).map { reference.features[$0, j] }.max() ?? 0 }
                let uniform = Tensor.build(shape: [share, width]) { out in
                    for r in 0..<share {
                        for j in 0..<width {
                            let pad = widen * (highs[j] - lows[j])
                            out[r * width + j] = rng.uniform(lows[j] - pad, highs[j] + pad)
                        }
                    }
                }
                block = ColumnGroups(reference.columns).discretize(uniform, draw: false, using: &rng)
            }
            values += block.scalars
            provenance += [Int32](repeating: Int32(index + 1), count: share)
        }
        return (try Tensor(shape: [provenance.count, width], scalars: values), provenance, ["real"] + types.map { "gmm/typed:\($0)" })
    }

    static func draw(_ strategy: String, count: Int, generator: any Generator, reference: Dataset, params p: JSONValue,
                     using rng: inout SeededRNG) throws -> Tensor {
        let conditional = (generator as? any ClassConditional)?.drawsByClass ?? false
        switch strategy {
        case "minority":
            return try generator.sample(SampleRequest(count: count, label: conditional ? 1 : nil), using: &rng)
        case "tail":
            let temperature = Float(p["temperature"]?.numberValue ?? 1.5)
            if let flow = generator as? any DensityModel {
                let label: UInt8? = conditional ? 0 : nil
                let normal = (0..<reference.rowCount).filter { reference.labels[$0] == 0 }
                let likelihoods = try flow.logLikelihood(try reference.features.gatherRows(normal), labels: normal.map { _ in 0 }).sorted()
                guard !likelihoods.isEmpty else { throw StageError("tail: the reference has no normal rows") }
                let cutoff = likelihoods[min(likelihoods.count - 1, Int(Double(likelihoods.count) * (p["quantile"]?.numberValue ?? 0.05)))]
                var kept: [Float] = []
                var attempts = 0
                while kept.count / reference.columns.count < count {
                    attempts += 1
                    guard attempts <= 50 else {
                        throw StageError("tail: fewer than \(count) draws fell below the log-likelihood cutoff after 50 rounds; raise temperature or quantile")
                    }
                    let draws = try flow.sample(SampleRequest(count: count, label: label, temperature: temperature), using: &rng)
                    let scores = try flow.logLikelihood(draws, labels: [UInt8](repeating: 0, count: draws.rows))
                    for r in 0..<draws.rows where scores[r] < cutoff && kept.count / reference.columns.count < count {
                        kept += (0..<draws.columns).map { draws[r, $0] }
                    }
                }
                return try Tensor(shape: [count, reference.columns.count], scalars: kept)
            }
            if let vae = generator as? any LatentCodeModel {
                let radius = Float(p["shell_radius"]?.numberValue ?? 3) * Float(vae.latentSize).squareRoot()
                var z = Tensor.normal([count, vae.latentSize], using: &rng)
                for r in 0..<count {
                    let norm = (0..<z.columns).reduce(Float(0)) { $0 + z[r, $1] * z[r, $1] }.squareRoot()
                    for k in 0..<z.columns { z[r, k] *= radius / max(norm, 1e-6) }
                }
                return try vae.decode(z, label: conditional ? 0 : nil, using: &rng)
            }
            throw StageError(unsupported(strategy, by: generator) ?? "tail: \(generator.kind) cannot serve it")
        case "perturb", "interpolate":
            guard let vae = generator as? any LatentCodeModel else {
                throw StageError(unsupported(strategy, by: generator) ?? "\(strategy): \(generator.kind) cannot serve it")
            }
            let wantAnomalies = strategy == "interpolate" || p["perturb_rows"]?.stringValue == "anomalies"
            let chosen = (0..<reference.rowCount).filter { (reference.labels[$0] == 1) == wantAnomalies }
            guard chosen.count >= (strategy == "interpolate" ? 2 : 1) else {
                throw StageError("\(strategy): the reference has \(chosen.count) \(wantAnomalies ? "anomalies" : "normal rows")")
            }
            let latents = try vae.encode(try reference.rows(chosen))
            var z = Tensor.zeros([count, latents.columns])
            let scale = Float(p["scale"]?.numberValue ?? 1)
            for r in 0..<count {
                let a = rng.index(below: chosen.count)
                if strategy == "perturb" {
                    for k in 0..<z.columns { z[r, k] = latents[a, k] + scale * rng.normal() }
                } else {
                    var b = rng.index(below: chosen.count - 1)
                    if b >= a { b += 1 }
                    let gap = rng.uniform()
                    for k in 0..<z.columns { z[r, k] = latents[a, k] + gap * (latents[b, k] - latents[a, k]) }
                }
            }
            return try vae.decode(z, label: conditional ? 1 : nil, using: &rng)
        default:
            throw StageError("unknown strategy '\(strategy)'")
        }
    }
}

/// The filters applied to synthetic rows.
struct Filters {
    var clipMargin: Float = 0.5
    var dropDuplicates = true
    var dropNormalCopies = true
    var rejectNormal = false
    /// k of the edited-nearest-neighbours check (0: off).
    var neighbourCheck = 0
    /// Keep only rows whose categorical values occur together in a real anomaly.
    var seenCategoricalCombinations = false

    init() {}

    /// The filters a synthesize stage's parameters ask for.
    init(_ p: JSONValue) {
        clipMargin = Float(p["clip_margin"]?.numberValue ?? 0.5)
        dropDuplicates = p["drop_duplicates"]?.boolValue ?? true
        dropNormalCopies = p["drop_normal_copies"]?.boolValue ?? true
        rejectNormal = p["reject_normal"]?.boolValue ?? false
        neighbourCheck = p["neighbour_check"]?.integerValue ?? 0
        seenCategoricalCombinations = p["categorical_combinations"]?.stringValue == "anomalies"
    }

    /// Clips numeric columns to the reference range widened by `clipMargin` of it on each side.
    static func clip(_ rows: Tensor, reference: Dataset, clipMargin: Float) throws -> Tensor {
        var rows = rows
        for column in ColumnGroups(reference.columns).numericColumns {
            let values = (0..<reference.rowCount).map { reference.features[$0, column] }.filter { !$0.isNaN }
            guard let low = values.min(), let high = values.max() else { continue }
            let pad = clipMargin * (high - low)
            for r in 0..<rows.rows { rows[r, column] = min(max(rows[r, column], low - pad), high + pad) }
        }
        return rows
    }

    /// The rows that pass: clipped first, then without copies of reference rows or of
    /// each other (or only without copies of normal reference rows), (optionally) not
    /// closer to a normal row than normal rows are to each other, and (optionally) with at
    /// least half of their k nearest reference rows anomalous, and (optionally) with a
    /// combination of categories that a real anomaly has.
    func keep(_ rows: Tensor, reference: Dataset) throws -> [Int] {
        try keep(clipped: Filters.clip(rows, reference: reference, clipMargin: clipMargin), reference: reference)
    }

    /// `keep` for rows already clipped by `clip` with `clipMargin`.
    func keep(clipped rows: Tensor, reference: Dataset) throws -> [Int] {
        func pattern(_ data: Tensor, _ r: Int) -> [UInt32] { (0..<data.columns).map { data[r, $0].bitPattern } }
        var keep = Array(0..<rows.rows)
        if seenCategoricalCombinations, case let groups = ColumnGroups(reference.columns).oneHotGroups, !groups.isEmpty {
            // The category of each one-hot group: its largest column.
            func categories(_ data: Tensor, _ r: Int) -> [Int] {
                groups.map { group in group.max { data[r, $0] < data[r, $1] }! - group.lowerBound }
            }
            let seen = Set(reference.indices(ofClass: 1).map { categories(reference.features, $0) })
            keep = keep.filter { seen.contains(categories(rows, $0)) }
        }
        if dropDuplicates {
            var seen = Set((0..<reference.rowCount).map { pattern(reference.features, $0) })
            keep = keep.filter { r in seen.insert(pattern(rows, r)).inserted }
        } else if dropNormalCopies {
            let normal = Set((0..<reference.rowCount).filter { reference.labels[$0] == 0 }.map { pattern(reference.features, $0) })
            keep = keep.filter { !normal.contains(pattern(rows, $0)) }
        }
        if rejectNormal {
            let normal = try reference.features.gatherRows((0..<reference.rowCount).filter { reference.labels[$0] == 0 })
            if normal.rows >= 2 {
                let own = try NearestNeighbors.search(normal, in: normal, k: 1, excludeSelf: true)
                let spacing = own.enumerated().map { r, list in normal.squaredDistance(row: r, to: normal, row: list[0]).squareRoot() }.sorted()
                let threshold = spacing[spacing.count / 2]
                let candidates = try rows.gatherRows(keep)
                let nearest = try NearestNeighbors.search(candidates, in: normal, k: 1)
                keep = keep.enumerated().filter { index, _ in
                    candidates.squaredDistance(row: index, to: normal, row: nearest[index][0]).squareRoot() > threshold
                }.map(\.element)
            }
        }
        if neighbourCheck > 0, !keep.isEmpty, reference.rowCount >= neighbourCheck {
            let candidates = try rows.gatherRows(keep)
            let neighbours = try NearestNeighbors.search(candidates, in: reference.features, k: neighbourCheck)
            keep = keep.enumerated().filter { index, _ in
                2 * neighbours[index].filter { reference.labels[$0] == 1 }.count >= neighbours[index].count
            }.map(\.element)
        }
        return keep
    }
}

/// How many synthetic rows a synthesize stage makes: `count` draws, or (with
/// `anomaly_ratio`) what an augment stage with that ratio adds to the reference rows,
/// counted after the filters.
struct SynthesisTarget {
    /// Most rounds of drawing for a target after filters.
    static let rounds = 8
    /// 0 when the reference rows already meet `anomaly_ratio`: nothing is drawn.
    let count: Int
    /// The count is of rows that pass the filters (drawn again while they drop rows).
    let afterFilters: Bool

    init(_ p: JSONValue, reference: Dataset) {
        if let ratio = p["anomaly_ratio"]?.numberValue {
            count = AugmentStage.rowsNeeded(ratio: ratio, rows: reference.rowCount, anomalies: reference.anomalyCount)
            afterFilters = true
        } else {
            count = p["count"]?.integerValue ?? 200
            afterFilters = false
        }
    }

    /// Rows to draw in a round: the count first; then the shortfall over the share of draws
    /// the filters have kept so far (at least 5%), at most ten times the count.
    func drawCount(round: Int, drawn: Int, kept: Int) -> Int {
        guard round > 0, drawn > 0 else { return count }
        let keptShare = max(0.05, Double(kept) / Double(drawn))
        return min(10 * count, max(1, Int((Double(count - kept) / keptShare).rounded(.up))))
    }
}
