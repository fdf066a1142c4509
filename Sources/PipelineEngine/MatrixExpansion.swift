import Foundation

/// Merges the pipelines of a matrix's variants into one.
///
/// - A stage whose type, parameters, seed and inputs are the same in every variant runs
///   once and keeps its id.
/// - A stage type that gathers variants (`evaluate`) becomes one stage reading every
///   variant's inputs, so that one report compares them.
/// - Any other stage becomes one copy per combination of the matrix values it actually
///   depends on, `id@model=vae`: a detector of real rows only is not copied per generator.
enum Matrix {
    typealias Variant = (assignments: [MatrixAssignment], pipeline: Pipeline)

    static func merge(_ variants: [Variant]) -> Pipeline {
        guard let first = variants.first?.pipeline else { preconditionFailure("a matrix expands to at least one variant") }
        let signatures = variants.map { signaturesOf($0.pipeline) }
        let axes = variants[0].assignments.map(\.key)
        var renamed = variants.map { _ in [String: String]() }  // per variant: stage id → merged id
        var stages: [Pipeline.Stage] = []
        for stage in first.stages {
            let distinct = Set(signatures.map { $0[stage.id]! })
            let parameters = Set(variants.map { own(stage.id, in: $0.pipeline) })
            if distinct.count == 1 {
                stages.append(stage)
                for v in variants.indices { renamed[v][stage.id] = stage.id }
            } else if stage.implementation.gathersVariants, parameters.count == 1 {
                var inputs: [String: [Pipeline.Reference]] = [:]
                for name in stage.inputs.keys {
                    var seen = Set<Pipeline.Reference>(), list: [Pipeline.Reference] = []
                    for (v, variant) in variants.enumerated() {
                        for reference in variant.pipeline.stage(stage.id)!.inputs[name]! {
                            let mapped = Pipeline.Reference(stage: renamed[v][reference.stage]!, output: reference.output)
                            if seen.insert(mapped).inserted { list.append(mapped) }
                        }
                    }
                    inputs[name] = list
                }
                stages.append(Pipeline.Stage(id: stage.id, implementation: stage.implementation, params: stage.params,
                                             inputs: inputs, seed: stage.seed))
                for v in variants.indices { renamed[v][stage.id] = stage.id }
            } else {
                let relevant = relevantAxes(axes.indices, variants: variants) { signatures[$0][stage.id]! }
                var copies: [String: Int] = [:]  // copy id → its stage index
                for (v, variant) in variants.enumerated() {
                    let assignments = relevant.map { variant.assignments[$0] }
                    let id = "\(stage.id)@\(MatrixAssignment.name(assignments))"
                    renamed[v][stage.id] = id
                    guard copies[id] == nil else { continue }
                    let original = variant.pipeline.stage(stage.id)!
                    let inputs = original.inputs.mapValues { references in
                        references.map { Pipeline.Reference(stage: renamed[v][$0.stage]!, output: $0.output) }
                    }
                    var copy = Pipeline.Stage(id: id, implementation: original.implementation, params: original.params,
                                              inputs: inputs, seed: original.seed)
                    copy.assignments = assignments
                    copies[id] = stages.count
                    stages.append(copy)
                }
            }
        }
        var merged = Pipeline(file: first.file, directory: first.directory, name: first.name, seed: first.seed, stages: stages)
        merged.variants = variants.map { MatrixAssignment.name($0.assignments) }
        return merged
    }

    /// Each stage's signature in one variant: its own settings and its inputs' signatures.
    private static func signaturesOf(_ pipeline: Pipeline) -> [String: String] {
        var result: [String: String] = [:]
        for id in pipeline.order {
            let stage = pipeline.stage(id)!
            let inputs = stage.inputs.keys.sorted().map { key in
                key + "=" + stage.inputs[key]!.map { (result[$0.stage] ?? "") + "." + $0.output }.joined(separator: "|")
            }.joined(separator: ";")
            result[id] = StageCache.sha256("\(own(id, in: pipeline))\u{0}\(inputs)")
        }
        return result
    }

    /// A stage's type, parameters and seed.
    private static func own(_ id: String, in pipeline: Pipeline) -> String {
        let stage = pipeline.stage(id)!
        return "\(stage.implementation.type)\u{0}\(stage.params.canonical)\u{0}\(stage.seed)"
    }

    /// The axes whose value changes a stage's signature: those where two variants that
    /// differ in that axis alone have different signatures.
    private static func relevantAxes(_ axes: Range<Int>, variants: [Variant], signature: (Int) -> String) -> [Int] {
        axes.filter { axis in
            var byRest: [String: Set<String>] = [:]
            for v in variants.indices {
                let rest = variants[v].assignments.enumerated().filter { $0.offset != axis }.map { "\($0.element)" }.joined(separator: "\u{0}")
                byRest[rest, default: []].insert(signature(v))
            }
            return byRest.values.contains { $0.count > 1 }
        }
    }
}
