import Foundation

/// Merges the pipelines of a matrix's variants into one: a stage whose parameters,
/// seed and inputs are the same in every variant runs once (keeping its id); the
/// others become one stage per variant, `id@variant`, reading their variant's inputs.
enum Matrix {
    static func merge(_ variants: [(name: String, pipeline: Pipeline)]) -> Pipeline {
        guard let first = variants.first?.pipeline else { preconditionFailure("a matrix expands to at least one variant") }
        var signatures: [String: [String: String]] = [:]  // variant → stage id → signature
        for (name, pipeline) in variants {
            var own: [String: String] = [:]
            for id in pipeline.order {
                let stage = pipeline.stage(id)!
                let inputs = stage.inputs.keys.sorted().map { key in
                    key + "=" + stage.inputs[key]!.map { (own[$0.stage] ?? "") + "." + $0.output }.joined(separator: "|")
                }.joined(separator: ";")
                own[id] = StageCache.sha256("\(stage.implementation.type)\u{0}\(stage.params.canonical)\u{0}\(stage.seed)\u{0}\(inputs)")
            }
            signatures[name] = own
        }
        func shared(_ id: String) -> Bool { Set(variants.map { signatures[$0.name]![id]! }).count == 1 }
        var stages: [Pipeline.Stage] = []
        for stage in first.stages {
            if shared(stage.id) {
                stages.append(stage)
                continue
            }
            for (name, pipeline) in variants {
                let original = pipeline.stage(stage.id)!
                let inputs = original.inputs.mapValues { references in
                    references.map { Pipeline.Reference(stage: shared($0.stage) ? $0.stage : "\($0.stage)@\(name)", output: $0.output) }
                }
                var copy = Pipeline.Stage(id: "\(stage.id)@\(name)", implementation: original.implementation, params: original.params,
                                          inputs: inputs, seed: original.seed)
                copy.variant = name
                stages.append(copy)
            }
        }
        var merged = Pipeline(file: first.file, directory: first.directory, name: first.name, seed: first.seed, stages: stages)
        merged.variants = variants.map(\.name)
        return merged
    }
}
